/**
 * The dns strategy: an RFC 2136 dynamic update with nsupdate from the orchestrator, replacing
 * the record's A (or AAAA) data with the new address. The TSIG key is a file reference.
 * Not exercised by the test fleet (no nsupdate, no DNS server).
 */
import { execa } from "execa";
import { InterruptedError, RemoteError } from "../../errors.ts";
import type { Cutover } from "../../plan/schema.ts";

type Dns = Extract<Cutover, { strategy: "dns" }>;

export function nsupdateScript(dns: Dns, address: string): string {
  const type = address.includes(":") ? "AAAA" : "A";
  const name = dns.record.endsWith(".") ? dns.record : `${dns.record}.${dns.zone}`;
  return [
    `server ${dns.server}`,
    `zone ${dns.zone}`,
    `update delete ${name} ${type}`,
    `update add ${name} ${dns.ttl} ${type} ${address}`,
    "send",
    "",
  ].join("\n");
}

export async function pointRecord(dns: Dns, address: string, signal: AbortSignal): Promise<void> {
  const args = dns.keyFile ? ["-k", dns.keyFile] : [];
  const result = await execa("nsupdate", args, {
    input: nsupdateScript(dns, address),
    reject: false,
    cancelSignal: signal,
    timeout: 30_000,
  });
  if (result.isCanceled) throw new InterruptedError(`interrupted: nsupdate for ${dns.record}`);
  if (result.exitCode !== 0) {
    throw new RemoteError(
      result.timedOut ? "timeout" : "remote",
      `nsupdate could not point ${dns.record} at ${address}`,
      {
        host: dns.server,
        command: "nsupdate",
        exitCode: result.exitCode ?? null,
        stderrTail: String(result.stderr).slice(-2000),
      },
      { retryable: result.timedOut },
    );
  }
}

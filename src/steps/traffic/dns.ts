/**
 * The dns strategy: an RFC 2136 dynamic update with nsupdate from the orchestrator, replacing
 * the record's A (or AAAA) data with the new address. The TSIG key is a file reference. A record
 * that already answers the address is left alone (asked with dig, which ships with nsupdate), so
 * an undo after a switch that never happened needs no update, nor a working key.
 */
import { accessSync, constants } from "node:fs";
import { execa } from "execa";
import { InterruptedError, RemoteError, UserError } from "../../errors.ts";
import type { TrafficSwitch } from "../inputs.ts";

type Dns = Extract<TrafficSwitch, { strategy: "dns" }>;

/** The record's owner name: relative names live in the zone. */
export function recordName(dns: Dns): string {
  return dns.record.endsWith(".") ? dns.record : `${dns.record}.${dns.zone}`;
}

/** nsupdate reads commands line by line: a value with whitespace would be read as more commands. */
function field(label: string, value: string): string {
  if (/^[^\s;]+$/.test(value)) return value;
  throw new UserError("invalid-plan", `cutover ${label} ${JSON.stringify(value)} is not a plain DNS name`, {
    hint: "DNS names and addresses in a dns cutover cannot contain spaces, newlines or `;`",
  });
}

const typeOf = (address: string) => (address.includes(":") ? "AAAA" : "A");

export function nsupdateScript(dns: Dns, address: string): string {
  const type = typeOf(address);
  const name = field("record", recordName(dns));
  return [
    `server ${field("server", dns.server)}`,
    `zone ${field("zone", dns.zone)}`,
    `update delete ${name} ${type}`,
    `update add ${name} ${dns.ttl} ${type} ${field("address", address)}`,
    "send",
    "",
  ].join("\n");
}

/** nsupdate without a readable key file sends the update unsigned; say what is wrong instead. */
function checkKeyFile(keyFile: string): void {
  try {
    accessSync(keyFile, constants.R_OK);
  } catch {
    throw new UserError("invalid-plan", `cannot read the TSIG key file ${keyFile} of the dns cutover`, {
      hint: "point cutover.keyFile at the key file (tsig-keygen output) readable on this machine",
    });
  }
}

/** Why the server refused, in nsupdate's words: its last line ("update failed: NOTAUTH(BADSIG)"). */
function reason(stderr: string): string {
  return (
    stderr
      .trim()
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? "no output"
  );
}

/**
 * Whether the server itself (not a caching resolver) answers exactly this address now. Unknown
 * (no answer, no dig) counts as no: the update is then sent and reports what is wrong.
 */
async function answers(dns: Dns, address: string, signal: AbortSignal): Promise<boolean> {
  const result = await execa(
    "dig",
    ["+short", "+time=2", "+tries=2", `@${dns.server}`, recordName(dns), typeOf(address)],
    { reject: false, cancelSignal: signal, timeout: 10_000 },
  );
  if (result.isCanceled) throw new InterruptedError(`interrupted: dig for ${dns.record}`);
  return result.exitCode === 0 && String(result.stdout).trim() === address;
}

export async function pointRecord(dns: Dns, address: string, signal: AbortSignal): Promise<void> {
  if (await answers(dns, address, signal)) return;
  if (dns.keyFile) checkKeyFile(dns.keyFile);
  const args = dns.keyFile ? ["-k", dns.keyFile] : [];
  const result = await execa("nsupdate", args, {
    input: nsupdateScript(dns, address),
    reject: false,
    cancelSignal: signal,
    timeout: 30_000,
  });
  if (result.isCanceled) throw new InterruptedError(`interrupted: nsupdate for ${dns.record}`);
  if (result.exitCode !== 0) {
    const stderr = String(result.stderr);
    const tsig = /TSIG|BADSIG|BADKEY|BADTIME/.test(stderr);
    throw new RemoteError(
      result.timedOut ? "timeout" : "remote",
      `nsupdate could not point ${recordName(dns)} at ${address} on ${dns.server}: ${result.timedOut ? "no answer within 30 s" : reason(stderr)}`,
      {
        host: dns.server,
        command: "nsupdate",
        exitCode: result.exitCode ?? null,
        stderrTail: stderr.slice(-2000),
      },
      {
        retryable: result.timedOut,
        ...(tsig
          ? {
              hint: `the server did not accept the TSIG key in ${dns.keyFile ?? "(none)"}; check its name and secret`,
            }
          : {}),
      },
    );
  }
}

/**
 * Network faults on the fleet, injected from outside the product: SSH sessions killed (the TCP
 * connection drops, as when a firewall or a flaky link resets it) and hosts frozen (SIGSTOP:
 * the host stops answering but its sockets stay open, the nastiest case for a client).
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fleetProcesses, readFleet } from "../../../fixtures/fleet/index.ts";
import type { JournalRecord } from "../../../src/engine/journal/journal-record.ts";
import { readJournalFile } from "./trial-checks.ts";

/** SIGKILL every sshd session process of a host, keeping its listener: open connections drop. */
export function killSshSessions(host: string): number {
  const listener = readFleet().hosts.find((h) => h.name === host)?.pid;
  let killed = 0;
  for (const pid of fleetProcesses().get(host) ?? []) {
    if (pid === listener) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "sshd") continue;
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // Ended on its own meanwhile.
    }
  }
  return killed;
}

/** Wait until the journal holds a record matching `match` (polls; the writer is another process). */
export async function waitForRecord(
  stateDir: string,
  planName: string,
  match: (record: JournalRecord) => boolean,
  timeoutMs = 60_000,
): Promise<JournalRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = readJournalFile(stateDir, planName).records.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching journal record within ${timeoutMs} ms`);
    await sleep(25);
  }
}

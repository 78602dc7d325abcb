/**
 * The cutover's downtime projected from what a rehearsal measured (pure). The real downtime
 * runs from the freeze to the end of verify: stop the source's services, list the source again
 * and hash what changed, send it, compare the target's tree, dump and restore each database,
 * start the target's services, switch, verify. Each part is taken from the rehearsal's own
 * measurements; of the traffic switch only the gateway's configuration test is measured (a
 * proxy switch runs it before its reload), the reload or DNS update itself is not rehearsed.
 */
import type { RehearseOutput } from "./contracts.ts";

/** Used only when the rehearsal sent nothing yet something changed since its snapshot. */
export const FALLBACK_BPS = 1024 * 1024;

export function projectDowntimeMs(measured: RehearseOutput["measured"]): number {
  const bps = measured.transferBps > 0 ? measured.transferBps : FALLBACK_BPS;
  const send = (bytes: number) => (bytes * 1000) / bps;
  const finalSync = measured.listMs + measured.hashMs + send(measured.changedBytes) + measured.treeMs;
  // The cutover streams each dump to the target while it is made: the slower of the two counts.
  const databases = Math.max(measured.dumpMs, send(measured.dumpBytes)) + measured.restoreMs;
  return Math.round(
    measured.stopMs + finalSync + databases + measured.startMs + measured.switchMs + measured.verifyMs,
  );
}

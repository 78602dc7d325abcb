/**
 * Helpers for the messy-cutover e2e tests: read a fleet host's file from its own mount
 * namespace without a round trip (to catch a gateway switch within milliseconds), and kill an
 * apply the moment something becomes true.
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResultPromise } from "execa";
import { readFleet } from "../../../fixtures/fleet/index.ts";

/** A file as the host sees it, through /proc/<pid>/root (its mount namespace); "" when absent. */
export function hostFile(host: string, path: string): string {
  const found = readFleet().hosts.find((h) => h.name === host);
  if (!found) throw new Error(`no fleet host ${host}`);
  try {
    return readFileSync(`/proc/${found.pid}/root${path}`, "utf8");
  } catch {
    return "";
  }
}

/**
 * SIGKILL the apply as soon as `ready()` holds (polled every 5 ms), as a power cut or an OOM
 * kill would: no handler runs, nothing is rolled back. Resolves with whether it was killed
 * (false: it ended first) once the process is gone.
 */
export async function killWhen(
  run: ResultPromise,
  ready: () => boolean,
  timeoutMs = 150_000,
): Promise<boolean> {
  let ended = false;
  void run.then(() => {
    ended = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!ended && !ready()) {
    if (Date.now() > deadline) throw new Error("the awaited moment never came");
    await sleep(5);
  }
  const killed = !ended && run.kill("SIGKILL");
  await run;
  return killed;
}

/** The journal file's text (for polling: cheaper than parsing it). */
export function journalText(stateDir: string): string {
  try {
    return readFileSync(`${stateDir}/fleet-city-bureaus/journal.jsonl`, "utf8");
  } catch {
    return "";
  }
}

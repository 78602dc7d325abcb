/**
 * `migrate rehearse <plan> [--only w1,w2]`: snapshot, transfer and reconfigure without a freeze,
 * then start the targets' services, run the verify checks against the targets directly and stop
 * those services again; the measured timings and the projected downtime are journaled. The
 * same engine, lock, journal and renderers as apply (a run kind), and the same exit codes.
 */

import { canPrompt, terminalPrompter } from "../prompter.ts";
import { type ApplyCommandOptions, type ApplyDeps, runOfKind } from "./apply.ts";

export type RehearseCommandOptions = Pick<
  ApplyCommandOptions,
  "yes" | "stateDir" | "only" | "acceptNewHostKeys" | "json" | "output"
>;

export function run(
  file: string,
  options: RehearseCommandOptions = {},
  deps: ApplyDeps = { prompter: terminalPrompter(), interactive: canPrompt() },
): Promise<number> {
  return runOfKind("rehearse", file, options, deps);
}

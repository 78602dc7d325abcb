/**
 * `migrate sync <plan> [--only w1,w2]`: snapshot, transfer and reconfigure again without a
 * freeze (keep warm), so the cutover's final delta stays small. A run kind of the same engine as
 * apply, with the same exit codes.
 */

import { canPrompt, terminalPrompter } from "../prompter.ts";
import { type ApplyCommandOptions, type ApplyDeps, runOfKind } from "./apply.ts";

export type SyncCommandOptions = Pick<
  ApplyCommandOptions,
  "yes" | "stateDir" | "only" | "acceptNewHostKeys" | "json" | "output"
>;

export function run(
  file: string,
  options: SyncCommandOptions = {},
  deps: ApplyDeps = { prompter: terminalPrompter(), interactive: canPrompt() },
): Promise<number> {
  return runOfKind("sync", file, options, deps);
}

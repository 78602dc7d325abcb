import { BugError, isMigrateError } from "../errors.ts";

/** One paragraph for user errors (message and hint, no stack); a stack only for bugs. */
export function formatError(error: unknown): string {
  if (isMigrateError(error) && !(error instanceof BugError)) {
    const hint = error.hint ? `\n  hint: ${error.hint}` : "";
    return `migrate: error: ${error.message}${hint}\n`;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `migrate: internal error (a bug in migrate; please report it with this output):\n${detail}\n`;
}

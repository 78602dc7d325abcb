/**
 * How a rollback ends on the terminal and in the exit code, the same for a local rollback and
 * one under a lease in the shared state: a refusal to discard the target's writes is its own
 * exit code (8) with the tables named, not a generic failure.
 */
import type { RollbackResult } from "../engine/running/rollback.ts";
import { ExitCode } from "../exit-codes.ts";
import type { startShortRun } from "./short-run.ts";

type ShortRun = Exclude<Awaited<ReturnType<typeof startShortRun>>, number>["run"];

export async function rollbackExit(
  run: ShortRun,
  workload: string,
  result: RollbackResult,
  done: string,
): Promise<number> {
  if (result.kind === "target-writes") {
    await run.renderer?.done({
      message: `${run.scrubber.text(result.message ?? "")}\nhint: ${result.hint ?? ""}`,
    });
    return ExitCode.targetWrites;
  }
  const ok = result.status === "rolled-back";
  await run.renderer?.done({
    message: ok
      ? done
      : `Rollback of ${workload} did not complete: ${run.scrubber.text(result.message ?? result.status)}. Check the gateway and the source, then run it again.`,
  });
  if (result.status === "interrupted") return ExitCode.interrupted;
  return ok ? ExitCode.ok : ExitCode.error;
}

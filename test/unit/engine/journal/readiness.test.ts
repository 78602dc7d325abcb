/**
 * Readiness and keep-warm in the fold: a fresh snapshot (sync, rehearse) makes the transfer and
 * reconfigure after the old one pending again, a rehearsal never counts as a finished step, and
 * each workload reads as not started … ready for cutover, rehearsed, cut over, verified.
 */
import { describe, expect, it } from "vitest";
import { cutoverStarted, foldJournal, readinessOf } from "../../../../src/engine/journal/journal-fold.ts";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { OUTPUTS } from "../../../support/step-outputs.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 14, 0, s)).toISOString();
type Label = keyof typeof OUTPUTS;
const record = (type: string, step: Label, s: number, extra: Record<string, unknown>) =>
  ({ v: 1, type, runId: "r", at: at(s), workload: "a", step, key: `a/${step}`, ...extra }) as JournalRecord;
const started = (step: Label, s: number) => record("step-start", step, s, { attempt: 1, inputHash: "h" });
const finished = (step: Label, s: number) =>
  record("step-finish", step, s, { inputHash: "h", durationMs: 1, outputs: OUTPUTS[step] });
const failed = (step: Label, s: number) =>
  record("step-fail", step, s, {
    attempt: 1,
    willRetry: false,
    error: { kind: "verify", message: "rehearsal verify failed: http answered 502", retryable: false },
  });
const preCutover = (from: number) => [
  finished("snapshot", from),
  finished("transfer", from + 1),
  finished("reconfigure", from + 2),
];
const fold = (records: JournalRecord[]) => foldJournal(records).workloads.get("a");

describe("readiness from the journal", () => {
  it("walks from not started to verified", () => {
    expect(readinessOf(undefined)).toBe("not started");
    expect(readinessOf(fold([finished("snapshot", 1)]))).toBe("in progress");
    expect(readinessOf(fold(preCutover(1)))).toBe("ready for cutover");
    expect(readinessOf(fold([...preCutover(1), finished("rehearse", 4)]))).toBe("rehearsed");
    expect(readinessOf(fold([...preCutover(1), finished("cutover", 5)]))).toBe("cut over");
    expect(readinessOf(fold([...preCutover(1), finished("cutover", 5), finished("verify", 6)]))).toBe(
      "verified",
    );
  });

  it("a failed rehearsal leaves the workload ready for cutover, with why it failed", () => {
    const w = fold([...preCutover(1), failed("rehearse", 4)]);
    expect(readinessOf(w)).toBe("ready for cutover");
    expect(w?.rehearsal).toMatchObject({ ok: false, message: "rehearsal verify failed: http answered 502" });
  });

  it("a rehearsal is no finished step: apply still runs the cutover and verify", () => {
    expect([...(fold([...preCutover(1), finished("rehearse", 4)])?.completed ?? [])]).toEqual([
      "a/snapshot",
      "a/transfer",
      "a/reconfigure",
    ]);
  });

  it("a fresh snapshot makes the transfer and reconfigure pending until they run again", () => {
    const w = fold([...preCutover(1), finished("snapshot", 10)]);
    expect([...(w?.completed ?? [])]).toEqual(["a/snapshot"]);
    expect(readinessOf(w)).toBe("in progress");
    expect(fold([...preCutover(1), ...preCutover(10)])?.lastSyncAt).toBe(at(11));
  });

  it("a cutover that started and was not rolled back refuses sync and rehearse", () => {
    expect(cutoverStarted(fold(preCutover(1)))).toBe(false);
    expect(cutoverStarted(fold([...preCutover(1), started("cutover", 5)]))).toBe(true);
    expect(cutoverStarted(fold([...preCutover(1), started("cutover", 5), finished("rollback", 7)]))).toBe(
      false,
    );
  });
});

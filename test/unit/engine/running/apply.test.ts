import { describe, expect, it } from "vitest";
import { foldJournal } from "../../../../src/engine/journal/journal-fold.ts";
import type { JournalRecord } from "../../../../src/engine/journal/journal-record.ts";
import { applyPlan } from "../../../../src/engine/running/apply.ts";
import { RemoteError, UserError } from "../../../../src/errors.ts";
import { applyOptions, makePlan, RecordingSteps } from "../fixtures.ts";

const ofType = <T extends JournalRecord["type"]>(records: readonly JournalRecord[], type: T) =>
  records.filter((r): r is Extract<JournalRecord, { type: T }> => r.type === type);

const reset = () =>
  new RemoteError("unreachable", "connection reset", { host: "src-1", command: "tar", exitCode: null });

describe("applyPlan", () => {
  it("runs the five steps of every workload in order and journals each with its key", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
    const steps = new RecordingSteps();
    const { options, journal } = applyOptions(plan, steps);
    const result = await applyPlan(options);
    expect(result.status).toBe("succeeded");
    expect(steps.calls.filter((c) => c.startsWith("a/"))).toEqual([
      "a/snapshot",
      "a/transfer",
      "a/reconfigure",
      "a/cutover",
      "a/verify",
    ]);
    const finishes = ofType(journal.records, "step-finish").map((r) => r.key);
    expect(finishes).toHaveLength(10);
    expect(ofType(journal.records, "run-start")[0]?.planHash).toBe("hash-1");
    expect(ofType(journal.records, "run-end")[0]?.status).toBe("succeeded");
  });

  it("runs the preflight with the hosts of unfinished work only, and a refusal ends the run with nothing done", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
    const first = applyOptions(plan, new RecordingSteps());
    await applyPlan({ ...first.options, only: ["a"] });
    const steps = new RecordingSteps();
    const seen: string[][] = [];
    const refused = new RemoteError("host-key", "host key of src-2 refused", {
      host: "src-2",
      command: "connect",
      exitCode: null,
    });
    const options = {
      ...applyOptions(plan, steps, { journal: first.journal }).options,
      preflight: async ({
        hosts,
        workloads,
      }: {
        hosts: readonly string[];
        workloads: readonly { name: string }[];
      }) => {
        expect(workloads.map((w) => w.name)).toEqual(["b"]);
        seen.push([...hosts]);
        throw refused;
      },
    };
    await expect(applyPlan(options)).rejects.toBe(refused);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain("src-2");
    expect(seen[0]).not.toContain("src-1");
    expect(steps.calls).toEqual([]);
    const ends = ofType(first.journal.records, "run-end");
    expect(ends.at(-1)).toMatchObject({ status: "failed", reason: "host key of src-2 refused" });
    expect(foldJournal(first.journal.records).runs.at(-1)?.reason).toBe("host key of src-2 refused");
  });

  it("retries retryable faults with backoff and never deterministic ones", async () => {
    const plan = makePlan([{ name: "flaky" }, { name: "broken", source: "src-2" }]);
    const steps = new RecordingSteps();
    let resets = 0;
    steps.behave = async (_context, step, workload) => {
      if (step === "transfer" && workload === "flaky" && resets++ < 2) throw reset();
      if (step === "transfer" && workload === "broken") throw new UserError("remote", "disk full");
      return {};
    };
    const { options, journal } = applyOptions(plan, steps);
    const result = await applyPlan(options);
    expect(result.outcomes.get("flaky")).toBe("succeeded");
    expect(result.outcomes.get("broken")).toBe("failed");
    expect(steps.calls.filter((c) => c === "flaky/transfer")).toHaveLength(3);
    expect(steps.calls.filter((c) => c === "broken/transfer")).toHaveLength(1);
    const fails = ofType(journal.records, "step-fail");
    expect(fails.filter((f) => f.workload === "flaky").map((f) => f.willRetry)).toEqual([true, true]);
    expect(fails.find((f) => f.workload === "broken")).toMatchObject({
      willRetry: false,
      error: { kind: "remote", message: "disk full" },
    });
    const end = ofType(journal.records, "workload-end").find((r) => r.workload === "broken");
    expect(end?.reason).toBe("transfer failed: disk full");
  });

  it("gives up on a retryable fault after plan.defaults.retries retries", async () => {
    const plan = makePlan([{ name: "a" }], { retries: 1 });
    const steps = new RecordingSteps();
    steps.behave = async (_context, step) => {
      if (step === "snapshot") throw reset();
      return {};
    };
    const { options } = applyOptions(plan, steps);
    expect((await applyPlan(options)).outcomes.get("a")).toBe("failed");
    expect(steps.calls).toEqual(["a/snapshot", "a/snapshot"]);
  });

  it("resumes: finished keys never run again, outputs and the last checkpoint are handed over", async () => {
    const plan = makePlan([{ name: "a" }]);
    const steps = new RecordingSteps();
    steps.behave = async (context, step) => {
      if (step === "snapshot") return { digest: "d1" };
      if (step === "transfer") {
        await context.checkpoint({ digest: "batches", verified: [7] });
        throw new UserError("remote", "target disk full");
      }
      return {};
    };
    const first = applyOptions(plan, steps);
    expect((await applyPlan(first.options)).status).toBe("failed");

    const again = new RecordingSteps();
    const seen: unknown[] = [];
    again.behave = async (context, step) => {
      if (step === "transfer") seen.push(context.outputsOf("snapshot"), context.lastCheckpoint);
      return {};
    };
    const second = applyOptions(plan, again, { journal: first.journal });
    expect((await applyPlan(second.options)).status).toBe("succeeded");
    expect(again.calls).toEqual(["a/transfer", "a/reconfigure", "a/cutover", "a/verify"]);
    expect(seen).toEqual([{ digest: "d1" }, { digest: "batches", verified: [7] }]);
  });

  it("refuses a resume when the plan changed under finished steps, naming the fields", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b", source: "src-2" }]);
    const steps = new RecordingSteps();
    steps.behave = async (_c, step) => {
      if (step === "reconfigure") throw new UserError("remote", "stop here");
      return {};
    };
    const first = applyOptions(plan, steps);
    await applyPlan(first.options);
    const changed = structuredClone(plan);
    changed.workloads[0]!.paths = ["/srv/other"];
    changed.sources[0]!.address = "127.0.9.99";
    const second = applyOptions(changed, new RecordingSteps(), { journal: first.journal });
    const error = await applyPlan(second.options).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "plan-changed" });
    expect((error as Error).message).toContain("a (host src-1, paths changed)");
    expect((error as Error).message).not.toContain(" b (");
    expect(first.journal.records.filter((r) => r.type === "run-start")).toHaveLength(1);
  });

  it("on verify failure rolls the cutover back, marks the workload, skips its dependents and goes on", async () => {
    const plan = makePlan([
      { name: "db" },
      { name: "app", wave: 2, dependsOn: ["db"] },
      { name: "other", source: "src-2" },
    ]);
    const steps = new RecordingSteps();
    steps.behave = async (_context, step, workload) => {
      if (step === "cutover") return { frozenAt: new Date().toISOString() };
      if (step === "verify" && workload === "db")
        throw new RemoteError("verify", "health check got 502", {
          host: "gw",
          command: "curl",
          exitCode: 22,
        });
      return {};
    };
    const { options, journal, events } = applyOptions(plan, steps);
    const result = await applyPlan(options);
    expect(result.status).toBe("failed");
    expect(steps.undos).toEqual(["db"]);
    expect(result.outcomes).toEqual(
      new Map([
        ["db", "rolled-back"],
        ["other", "succeeded"],
        ["app", "skipped"],
      ]),
    );
    const ends = Object.fromEntries(
      ofType(journal.records, "workload-end").map((r) => [r.workload, r.reason]),
    );
    expect(ends.db).toMatch(/^verify failed: health check got 502; rolled back/);
    expect(ends.app).toBe("dependency db was rolled back");
    expect(ofType(journal.records, "step-finish").some((r) => r.key === "db/rollback")).toBe(true);
    expect(events.some((e) => e.type === "rollback-end" && e.ok)).toBe(true);
    // The rollback invalidates db's steps: a later apply starts it over.
    expect(foldJournal(journal.records).workloads.get("db")?.completed.size).toBe(0);
  });

  it("marks a workload failed (not rolled back) when the undo fails too", async () => {
    const plan = makePlan([{ name: "a" }]);
    const steps = new RecordingSteps();
    steps.behave = async (_c, step) => {
      if (step === "verify") throw new UserError("verify", "rows differ");
      return {};
    };
    steps.undo = async () => {
      throw new UserError("remote", "gateway refused reload");
    };
    const { options } = applyOptions(plan, steps);
    const result = await applyPlan(options);
    expect(result.outcomes.get("a")).toBe("failed");
  });

  it("refuses a cutover outside the window unless told to ignore it", async () => {
    const window = { start: "2020-01-01T22:00+08:00", end: "2020-01-02T04:00+08:00" };
    const plan = makePlan([{ name: "a", window }]);
    const steps = new RecordingSteps();
    const first = applyOptions(plan, steps);
    const result = await applyPlan(first.options);
    expect(result.outcomes.get("a")).toBe("failed");
    expect(steps.calls).toEqual(["a/snapshot", "a/transfer", "a/reconfigure"]);
    const end = ofType(first.journal.records, "workload-end")[0];
    expect(end?.reason).toMatch(/window .* has closed.*--ignore-window/);
    // Shown in the plan's zone (Asia/Shanghai by default), never as bare UTC.
    expect(end?.reason).toContain("window 2020-01-01 22:00 – 2020-01-02 04:00 +08:00 has closed (now ");
    expect(end?.reason).toMatch(/\(now \d{4}-\d\d-\d\d \d\d:\d\d \+08:00\)/);

    const second = applyOptions(plan, steps, { journal: first.journal, ignoreWindow: true });
    expect((await applyPlan(second.options)).status).toBe("succeeded");
    expect(steps.calls.slice(3)).toEqual(["a/cutover", "a/verify"]);
  });

  it("journals the downtime from freeze to verified and flags a budget breach", async () => {
    const plan = makePlan([
      { name: "a", downtimeBudget: "1s" },
      { name: "b", source: "src-2", downtimeBudget: "1h" },
    ]);
    let clock = Date.parse("2026-12-05T15:00:00Z");
    const steps = new RecordingSteps();
    steps.behave = async (_context, step, workload) => {
      if (step === "cutover") return { frozenAt: new Date(clock).toISOString() };
      if (step === "verify") clock += workload === "a" ? 1500 : 200;
      return {};
    };
    const { options, journal } = applyOptions(plan, steps, {
      clock: { now: () => new Date(clock) },
      only: undefined,
    });
    options.plan.defaults.concurrency = 1;
    await applyPlan(options);
    const ends = Object.fromEntries(ofType(journal.records, "workload-end").map((r) => [r.workload, r]));
    expect(ends.a).toMatchObject({
      status: "succeeded",
      downtimeMs: 1500,
      downtimeBudgetMs: 1000,
      budgetExceeded: true,
    });
    expect(ends.b).toMatchObject({ status: "succeeded", downtimeMs: 200, budgetExceeded: false });
  });

  it("announces the freeze once, when the cutover checkpoints frozenAt", async () => {
    const plan = makePlan([{ name: "a" }]);
    const steps = new RecordingSteps();
    const order: string[] = [];
    steps.behave = async (context, step) => {
      if (step !== "cutover") return {};
      const frozenAt = new Date().toISOString();
      await context.checkpoint({ phase: "frozen", frozenAt });
      order.push("after-checkpoint");
      return { frozenAt };
    };
    const { options, events } = applyOptions(plan, steps, {
      onEvent: (event) => {
        events.push(event);
        if (event.type === "cutover-freeze") order.push("freeze");
      },
    });
    await applyPlan(options);
    expect(order).toEqual(["freeze", "after-checkpoint"]);
  });

  it("rolls back instead of verifying when the budget ran out before verification", async () => {
    const plan = makePlan([{ name: "a", downtimeBudget: "1s" }]);
    let clock = Date.parse("2026-12-05T15:00:00Z");
    const steps = new RecordingSteps();
    steps.behave = async (_context, step) => {
      if (step === "cutover") {
        const frozenAt = new Date(clock).toISOString();
        clock += 5_000;
        return { frozenAt };
      }
      return {};
    };
    const { options, journal } = applyOptions(plan, steps, { clock: { now: () => new Date(clock) } });
    const result = await applyPlan(options);
    expect(result.outcomes.get("a")).toBe("rolled-back");
    expect(steps.calls).not.toContain("a/verify");
    expect(ofType(journal.records, "workload-end")[0]?.reason).toMatch(
      /downtime budget 1s exceeded before verification/,
    );
  });

  it("on interrupt journals step-interrupted for the running step and ends the run interrupted", async () => {
    const plan = makePlan([{ name: "a" }, { name: "b" }], { concurrency: 1, perHostConcurrency: 1 });
    const controller = new AbortController();
    const steps = new RecordingSteps();
    steps.behave = async (context, step) => {
      if (step !== "transfer") return {};
      controller.abort();
      await new Promise((_resolve, reject) => {
        if (context.signal.aborted) reject(context.signal.reason);
        context.signal.addEventListener("abort", () => reject(context.signal.reason));
      });
      return {};
    };
    const { options, journal } = applyOptions(plan, steps, { signal: controller.signal });
    const result = await applyPlan(options);
    expect(result.status).toBe("interrupted");
    expect(ofType(journal.records, "step-interrupted").map((r) => r.key)).toEqual(["a/transfer"]);
    expect(result.outcomes).toEqual(
      new Map([
        ["a", "interrupted"],
        ["b", "pending"],
      ]),
    );
    expect(ofType(journal.records, "run-end")[0]?.status).toBe("interrupted");
  });

  it("rolls the cutover back when interrupted during verify", async () => {
    const plan = makePlan([{ name: "a" }]);
    const controller = new AbortController();
    const steps = new RecordingSteps();
    steps.behave = async (_context, step) => {
      if (step === "verify") {
        controller.abort();
        throw new Error("aborted");
      }
      return {};
    };
    const { options } = applyOptions(plan, steps, { signal: controller.signal });
    const result = await applyPlan(options);
    expect(steps.undos).toEqual(["a"]);
    expect(result.outcomes.get("a")).toBe("interrupted");
  });

  it("fails a workload right after the named step with the test-only injected fault", async () => {
    const plan = makePlan([{ name: "a" }]);
    const steps = new RecordingSteps();
    const { options, journal } = applyOptions(plan, steps, { failAfter: "a/transfer" });
    expect((await applyPlan(options)).outcomes.get("a")).toBe("failed");
    expect(steps.calls).toEqual(["a/snapshot", "a/transfer"]);
    expect(ofType(journal.records, "workload-end")[0]?.reason).toMatch(/injected fault after a\/transfer/);
  });

  it("rejects an unknown --only name with a suggestion", async () => {
    const plan = makePlan([{ name: "land-revenue" }]);
    const { options } = applyOptions(plan, new RecordingSteps(), { only: ["land-revenu"] });
    await expect(applyPlan(options)).rejects.toMatchObject({
      kind: "usage",
      hint: expect.stringContaining("land-revenue"),
    });
  });
});

/**
 * What `plan` says per database from the replication preflight's facts: the mode apply would
 * choose and why, the prepare suggestion, and the projected catch-up, measured or estimated.
 * (The facts themselves are read on the fleet: test/e2e/replication-plan-prepare.test.ts.)
 */
import { describe, expect, it } from "vitest";
import {
  plannedDatabase,
  preflightFacts,
  projectCatchUp,
} from "../../../../src/engine/planning/plan-databases.ts";
import type { DatabasePreflightFact } from "../../../../src/plan/replication-facts.ts";
import { catchUpText } from "../../../../src/render/plan-databases.ts";
import type { DatabaseInput } from "../../../../src/steps/inputs.ts";

const TAX: DatabaseInput = {
  engine: "postgresql",
  name: "tax",
  dumpFile: "/staging/tax.dump",
  finalDumpFile: "/staging/tax.final.dump",
  mode: "replicate",
  modeReason: "default for postgresql; apply moves it by dump instead if the replication preflight blocks",
  modeAsked: false,
};

const fact = (over: Partial<DatabasePreflightFact> = {}): DatabasePreflightFact => ({
  workload: "tax-collection",
  database: "tax",
  engine: "postgresql",
  checkedAt: "2026-12-01T15:00:00.000Z",
  findings: [],
  writeBytesPerSecond: 50_000,
  ...over,
});

const WAL_LEVEL = {
  severity: "block" as const,
  code: "wal-level",
  message: "database tax: the source server runs with wal_level = replica",
  hint: "set wal_level = logical",
};

const facts = (...list: DatabasePreflightFact[]) =>
  preflightFacts(list.map((f) => ({ fact: f, from: "hosts" })));

describe("plannedDatabase", () => {
  it("replicates when the preflight passes, with an estimated catch-up", () => {
    const planned = plannedDatabase("tax-collection", TAX, true, facts(fact()));
    expect(planned).toMatchObject({ mode: "replicate", preflight: { status: "passed", from: "hosts" } });
    expect(planned.catchUp).toEqual({ seconds: 1, basis: "estimate", writeBytesPerSecond: 50_000 });
  });

  it("moves a default database by dump when wal_level blocks, and suggests prepare", () => {
    const planned = plannedDatabase("tax-collection", TAX, true, facts(fact({ findings: [WAL_LEVEL] })));
    expect(planned).toMatchObject({ mode: "dump", prepare: ["wal-level"], preflight: { status: "blocks" } });
    expect(planned.reason).toContain("replicate is not possible");
    expect(planned.catchUp).toBeUndefined();
  });

  it("marks an explicit replicate refused (exit 6) and names a keyless table without suggesting prepare", () => {
    const keyless = {
      severity: "block" as const,
      code: "no-primary-key",
      message: "database tax: 1 table(s) have neither a primary key nor a replica identity: public.audit_log",
      hint: "ALTER TABLE public.audit_log REPLICA IDENTITY FULL",
      tables: ["public.audit_log"],
    };
    const asked = { ...TAX, modeAsked: true, modeReason: "asked for in the plan" };
    const planned = plannedDatabase("tax-collection", asked, true, facts(fact({ findings: [keyless] })));
    expect(planned).toMatchObject({ mode: "replicate", refused: true, findings: [keyless] });
    expect(planned.reason).toContain("exit code 6");
    expect(planned.prepare).toBeUndefined();
  });

  it("says the preflight did not run, and why, when nothing was asked", () => {
    const offline = preflightFacts([], "--offline: no host was asked");
    const planned = plannedDatabase("tax-collection", TAX, true, offline);
    expect(planned.preflight).toEqual({ status: "not-run", notRun: "--offline: no host was asked" });
    expect(planned.reason).toContain("replication preflight not run (--offline: no host was asked)");
    const unreachable = facts(fact({ notRun: "tax-src: connection refused" }));
    expect(plannedDatabase("tax-collection", TAX, true, unreachable).preflight.status).toBe("not-run");
  });

  it("needs no preflight for a database that moves by dump", () => {
    const dump = { ...TAX, mode: "dump" as const, modeReason: "asked for in the plan", modeAsked: true };
    expect(plannedDatabase("tax-collection", dump, false, facts(fact())).preflight.status).toBe("not-needed");
  });
});

describe("projectCatchUp", () => {
  it("divides a running replication's lag by its apply rate, labelled measured", () => {
    const lag = { bytes: 3_000_000, seconds: 2, applyBytesPerSecond: 1_000_000 };
    expect(projectCatchUp(fact({ lag }))).toEqual({
      seconds: 3,
      basis: "measured",
      lagBytes: 3_000_000,
      applyBytesPerSecond: 1_000_000,
      writeBytesPerSecond: 50_000,
    });
  });

  it("marks a replication that applies nothing while the source writes as stalled, with an upper bound", () => {
    const lag = { bytes: 100_000, seconds: null, applyBytesPerSecond: 0 };
    const projected = projectCatchUp(fact({ lag }))!;
    expect(projected).toMatchObject({ seconds: 2, applyBytesPerSecond: 50_000, stalled: true });
    expect(catchUpText(projected)).toContain("NOT applying now");
    expect(catchUpText(projected)).toContain("upper bound");
  });

  it("takes the source's write rate when the sampled apply rate is lower but not stalled", () => {
    const lag = { bytes: 100_000, seconds: null, applyBytesPerSecond: 25_000 };
    const projected = projectCatchUp(fact({ lag }))!;
    expect(projected).toMatchObject({ seconds: 2, applyBytesPerSecond: 50_000 });
    expect(projected.stalled).toBeUndefined();
  });

  it("projects no wait on an idle source, whose lag is WAL the subscription does not need", () => {
    const lag = { bytes: 11_880, seconds: null, applyBytesPerSecond: 0 };
    expect(projectCatchUp(fact({ lag, writeBytesPerSecond: 0 }))).toMatchObject({
      seconds: 0,
      basis: "measured",
    });
  });

  it("labels the write-rate projection an estimate in words", () => {
    const text = catchUpText(projectCatchUp(fact())!);
    expect(text).toContain("ESTIMATE");
    expect(text).toContain("48.8 KiB/s");
    const measured = catchUpText({
      seconds: 3,
      basis: "measured",
      lagBytes: 3_000_000,
      applyBytesPerSecond: 1e6,
    });
    expect(measured).toContain("measured now");
  });
});

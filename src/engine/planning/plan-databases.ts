/**
 * Per database, the mode apply would choose and why, from the plan and — when `plan` could ask
 * the hosts, or an inventory recorded it — the replication preflight's findings (pure). Also the
 * `migrate prepare` suggestion for settings that need a restart, and the projected catch-up of a
 * replicated database: measured from a running replication's lag and apply rate, or estimated
 * from the source's write rate.
 */
import { z } from "zod";
import {
  type DatabasePreflightFact,
  preflightKey,
  ReplicationFindingFact,
} from "../../plan/replication-facts.ts";
import { preparableCodes } from "../../steps/db/replication/prepare-settings.ts";
import type { DatabaseInput } from "../../steps/inputs.ts";

/** At the freeze the target trails by about this much of the source's writes (its feedback). */
const ESTIMATED_TRAIL_S = 1;
/** Applying less than this share of the source's writes while measured: not applying at all. */
const STALLED_SHARE = 0.1;

export const ProjectedCatchUp = z.object({
  seconds: z.number(),
  /** measured: a running replication's lag and apply rate; estimate: the source's write rate. */
  basis: z.enum(["measured", "estimate"]),
  lagBytes: z.number().optional(),
  applyBytesPerSecond: z.number().optional(),
  writeBytesPerSecond: z.number().optional(),
  /**
   * The replication applied nothing while measured though the source wrote: its SSH tunnel lives
   * only while migrate runs, so between runs the lag grows. `seconds` is then an upper bound:
   * the backlog applied only as fast as the source wrote it.
   */
  stalled: z.boolean().optional(),
});
export type ProjectedCatchUp = z.infer<typeof ProjectedCatchUp>;

export const PlannedDatabase = z.object({
  name: z.string(),
  engine: z.string(),
  mode: z.enum(["replicate", "dump"]),
  /** The plan asks for replicate and the preflight blocks: apply refuses (exit 6) before any change. */
  refused: z.boolean().optional(),
  reason: z.string(),
  preflight: z.object({
    status: z.enum(["passed", "blocks", "not-run", "not-needed"]),
    /** Where the findings come from: the hosts now, or an inventory file. */
    from: z.enum(["hosts", "inventory"]).optional(),
    checkedAt: z.string().optional(),
    /** Why it did not run. */
    notRun: z.string().optional(),
  }),
  findings: z.array(ReplicationFindingFact),
  /** Settings `migrate prepare` would change (finding codes), each needing a restart. */
  prepare: z.array(z.string()).optional(),
  catchUp: ProjectedCatchUp.optional(),
});
export type PlannedDatabase = z.infer<typeof PlannedDatabase>;

type FactSource = "hosts" | "inventory";

export interface PreflightFacts {
  /** By `workload/database`: the facts and where they come from. */
  facts: ReadonlyMap<string, { fact: DatabasePreflightFact; from: FactSource }>;
  /** Why no facts exist at all (offline), for databases without one. */
  notRun?: string;
}

export function preflightFacts(
  list: readonly { fact: DatabasePreflightFact; from: FactSource }[],
  notRun?: string,
): PreflightFacts {
  const facts = new Map(list.map((entry) => [preflightKey(entry.fact.workload, entry.fact.database), entry]));
  return notRun === undefined ? { facts } : { facts, notRun };
}

export function projectCatchUp(fact: DatabasePreflightFact): ProjectedCatchUp | undefined {
  const write = fact.writeBytesPerSecond;
  if (fact.lag) {
    const { bytes, applyBytesPerSecond } = fact.lag;
    // A replication that keeps up applies at least as fast as the source writes; the subscriber
    // confirms in bursts, so two samples 2 s apart can show less. Lag on an idle source is WAL
    // the subscription does not need (checkpoints, other databases): nothing to wait for.
    const rate = Math.max(applyBytesPerSecond, write ?? 0);
    const stalled = bytes > 0 && (write ?? 0) > 0 && applyBytesPerSecond < STALLED_SHARE * (write ?? 0);
    return {
      seconds: rate > 0 ? bytes / rate : 0,
      basis: "measured",
      lagBytes: bytes,
      applyBytesPerSecond: rate,
      ...(write === undefined ? {} : { writeBytesPerSecond: write }),
      ...(stalled ? { stalled } : {}),
    };
  }
  if (write === undefined) return undefined;
  // The target applies at least as fast as the source writes (else it could never catch up), so
  // the trail it has at the freeze takes about as long to apply as it took to write.
  return { seconds: write === 0 ? 0 : ESTIMATED_TRAIL_S, basis: "estimate", writeBytesPerSecond: write };
}

const codes = (findings: readonly { code: string }[]) => findings.map((f) => f.code).join(", ");

export function plannedDatabase(
  workload: string,
  db: DatabaseInput,
  candidate: boolean,
  preflight: PreflightFacts | undefined,
): PlannedDatabase {
  const base = { name: db.name, engine: db.engine };
  if (!candidate)
    return {
      ...base,
      mode: "dump",
      reason: db.modeReason,
      preflight: { status: "not-needed" },
      findings: [],
    };
  const found = preflight?.facts.get(preflightKey(workload, db.name));
  const fact = found?.fact;
  if (!fact || fact.notRun !== undefined) {
    const notRun = fact?.notRun ?? preflight?.notRun ?? "no host was asked";
    return {
      ...base,
      mode: db.mode,
      reason: `${db.modeReason}; replication preflight not run (${notRun}): apply runs it before anything changes`,
      preflight: { status: "not-run", notRun, ...(fact ? { checkedAt: fact.checkedAt } : {}) },
      findings: [],
    };
  }
  const shown = { status: "passed" as const, from: found!.from, checkedAt: fact.checkedAt };
  const blocks = fact.findings.filter((f) => f.severity === "block");
  const catchUp = projectCatchUp(fact);
  if (blocks.length === 0) {
    const warns = fact.findings.length > 0 ? ` (warnings: ${codes(fact.findings)})` : "";
    return {
      ...base,
      mode: "replicate",
      reason: `${db.modeAsked ? "asked for in the plan" : `default for ${db.engine}`}; the replication preflight passed${warns}`,
      preflight: shown,
      findings: fact.findings,
      ...(catchUp ? { catchUp } : {}),
    };
  }
  const fixable = preparableCodes(db.engine);
  const prepare = blocks.map((b) => b.code).filter((code) => fixable.has(code));
  const decided = db.modeAsked
    ? {
        mode: "replicate" as const,
        refused: true,
        reason: `asked for in the plan, but the replication preflight blocks (${codes(blocks)}): apply refuses with exit code 6 before anything changes`,
      }
    : {
        mode: "dump" as const,
        reason: `replicate is not possible, the replication preflight blocks (${codes(blocks)}): moved by dump`,
      };
  return {
    ...base,
    ...decided,
    preflight: { ...shown, status: "blocks" },
    findings: fact.findings,
    ...(prepare.length > 0 ? { prepare } : {}),
  };
}

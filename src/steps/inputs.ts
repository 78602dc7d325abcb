/**
 * What each step is given to do: its typed input, derived once by the planner from the
 * validated plan (engine/plan-inputs.ts), printed by `migrate plan --json` and handed unchanged
 * to the step by apply. A step reads its input, never the plan: everything it needs to know
 * about hosts, paths, databases and the switch is here, already resolved.
 */
import { z } from "zod";
import { Database, DB_MODES } from "../plan/schema.ts";

/** A host of the plan: its name (for a connection from the pool) and its address. */
export const HostRef = z.strictObject({ name: z.string(), address: z.string() });
export type HostRef = z.infer<typeof HostRef>;

export const HashAlgorithm = z.enum(["sha256", "sm3"]);

/** A database of the workload with the dump files the steps write (staging.ts). */
export const DatabaseInput = Database.extend({
  /** The snapshot's dump on the source, copied to the same path on the target. */
  dumpFile: z.string(),
  /** The cutover's fresh dump, streamed into this file on the target. */
  finalDumpFile: z.string(),
  /** How the database moves, as the planner resolved it (the plan's `mode`, or the default). */
  mode: z.enum(DB_MODES),
  /** Why: shown by `plan` next to the database. */
  modeReason: z.string(),
  /** The plan asked for this mode: a replicate that fails its preflight is refused, not downgraded. */
  modeAsked: z.boolean(),
});
export type DatabaseInput = z.infer<typeof DatabaseInput>;

/** One file's literal replacements on the target. */
export const RewriteInput = z.strictObject({ file: z.string(), replace: z.record(z.string(), z.string()) });
export type RewriteInput = z.infer<typeof RewriteInput>;

/** How the cutover moves traffic; source and target addresses come from the cutover's input. */
export const TrafficSwitch = z.discriminatedUnion("strategy", [
  z.strictObject({ strategy: z.literal("none") }),
  z.strictObject({
    strategy: z.literal("proxy"),
    gateway: HostRef,
    upstreamFile: z.string(),
    upstreamPort: z.number().int(),
  }),
  z.strictObject({
    strategy: z.literal("dns"),
    server: z.string(),
    zone: z.string(),
    record: z.string(),
    ttl: z.number().int(),
    keyFile: z.string().optional(),
  }),
  z.strictObject({ strategy: z.literal("command"), host: z.string(), run: z.string(), undo: z.string() }),
]);
export type TrafficSwitch = z.infer<typeof TrafficSwitch>;

/** A verify check with every host it names resolved. */
export const CheckInput = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("http"),
    /** As the plan wrote it (names the check). */
    url: z.string(),
    /** What is requested: a plan host's name in the URL replaced by its address. */
    requestUrl: z.string(),
    status: z.number().int(),
    contains: z.string().optional(),
    /** Host that makes the request; absent: the orchestrator. */
    from: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal("tcp"), host: HostRef, port: z.number().int() }),
  z.strictObject({
    kind: z.literal("rowCount"),
    database: z.string(),
    tables: z.array(z.string()),
    /** The workload's database of that name; absent when it has none (the check then fails). */
    db: DatabaseInput.optional(),
  }),
  z.strictObject({ kind: z.literal("command"), host: z.string(), run: z.string() }),
]);
export type CheckInput = z.infer<typeof CheckInput>;

/** The workload's name (messages, local artefacts). */
const workload = z.string();
const paths = z.array(z.string());

/** What moves and between which hosts: shared by transfer, cutover and verify. */
const move = { workload, source: HostRef, target: HostRef, paths, hash: HashAlgorithm };

export const SnapshotInput = z.strictObject({
  workload,
  source: HostRef,
  /** Where the databases go: replication's preflight reads the target's server version. */
  target: HostRef,
  paths,
  hash: HashAlgorithm,
  stagingDir: z.string(),
  databases: z.array(DatabaseInput),
});

export const TransferInput = z.strictObject({ ...move, stagingDir: z.string() });

export const ReconfigureInput = z.strictObject({
  workload,
  /** Replicated databases subscribe to the source (through a tunnel) from here. */
  source: HostRef,
  target: HostRef,
  stagingDir: z.string(),
  rewrites: z.array(RewriteInput),
  commands: z.array(z.string()),
  databases: z.array(DatabaseInput),
});

export const CutoverInput = z.strictObject({
  ...move,
  stagingDir: z.string(),
  services: z.array(z.string()),
  rewrites: z.array(RewriteInput),
  databases: z.array(DatabaseInput),
  traffic: TrafficSwitch,
  /** Hash every file of the target's tree at the cutover, not only what evidence does not vouch for. */
  verifyFull: z.boolean().optional(),
});

export const VerifyInput = z.strictObject({ ...move, checks: z.array(CheckInput) });

export type SnapshotInput = z.infer<typeof SnapshotInput>;
export type TransferInput = z.infer<typeof TransferInput>;
export type ReconfigureInput = z.infer<typeof ReconfigureInput>;
export type CutoverInput = z.infer<typeof CutoverInput>;
export type VerifyInput = z.infer<typeof VerifyInput>;

/** The input schema of each step, by step name. */
export const STEP_INPUTS = {
  snapshot: SnapshotInput,
  transfer: TransferInput,
  reconfigure: ReconfigureInput,
  cutover: CutoverInput,
  verify: VerifyInput,
} as const;

export type StepInputs = { [K in keyof typeof STEP_INPUTS]: z.infer<(typeof STEP_INPUTS)[K]> };

/** A step to run with its input, as a run plan carries it. */
export type PlannedInput = { [K in keyof StepInputs]: { name: K; input: StepInputs[K] } }[keyof StepInputs];

/** A planned step's input as one tagged union (validates a run plan read back from JSON). */
export const PlannedInput = z.discriminatedUnion("name", [
  z.object({ name: z.literal("snapshot"), input: SnapshotInput }),
  z.object({ name: z.literal("transfer"), input: TransferInput }),
  z.object({ name: z.literal("reconfigure"), input: ReconfigureInput }),
  z.object({ name: z.literal("cutover"), input: CutoverInput }),
  z.object({ name: z.literal("verify"), input: VerifyInput }),
]);

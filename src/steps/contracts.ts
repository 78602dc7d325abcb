/**
 * What each step hands on: its outputs (journaled with its finish record, read by later steps,
 * status and the report) and its checkpoint (journaled while it runs, handed back to a retry or
 * a resumed run). The journal validates both against these schemas when it is read, so a
 * reader never guesses at a field; nobody outside a step reads anything it did not declare here.
 * Fields added after 0.1.0 are optional: journals written by 0.1.0 still read.
 */
import { z } from "zod";
import { LargeProgress } from "../transfer/ranges.ts";
import { CutoverCheckpoint, FinalDatabase, FinalFiles, TargetTree } from "./cutover-checkpoint.ts";
import type { StepName } from "./names.ts";

const RowCounts = z.record(z.string(), z.number());

/** A replication's journaled state (db/replication/types.ts ReplicationState). */
export const ReplicationStateRecord = z.object({
  engine: z.enum(["postgresql", "mysql"]),
  objects: z.record(z.string(), z.string()),
  seededAt: z.string().optional(),
});
export type ReplicationStateRecord = z.infer<typeof ReplicationStateRecord>;

/** A preflight finding as journaled (db/replication/types.ts ReplicationFinding). */
const Finding = z.object({
  severity: z.enum(["block", "warn"]),
  code: z.string(),
  message: z.string(),
  hint: z.string(),
  tables: z.array(z.string()).optional(),
});

export const DatabaseSnapshot = z.object({
  engine: z.string(),
  name: z.string(),
  dumpFile: z.string(),
  dumpSha256: z.string(),
  rowCounts: RowCounts,
  /** How long the dump took (a rehearsal projects the cutover's dump from it). */
  durationMs: z.number().optional(),
  /** How it moves, after the replication preflight (absent in older journals: dump). */
  mode: z.enum(["replicate", "dump"]).optional(),
  /** Why (a default replicate downgraded to dump names the blocking findings). */
  modeReason: z.string().optional(),
  findings: z.array(Finding).optional(),
});
export type DatabaseSnapshot = z.infer<typeof DatabaseSnapshot>;

export const SnapshotOutput = z.object({
  manifestFile: z.string(),
  manifestDigest: z.string(),
  /** The manifest's hash algorithm (the workload's `hash`). */
  hash: z.string(),
  files: z.number(),
  bytes: z.number(),
  databases: z.array(DatabaseSnapshot),
  /**
   * The snapshot's sorted metadata listing, kept in the source's staging directory for the final
   * sync to compare with on the host (manifest/host-diff.ts); its sha256 ties it to this snapshot.
   */
  keptListing: z.object({ file: z.string(), sha256: z.string() }).optional(),
});
export type SnapshotOutput = z.infer<typeof SnapshotOutput>;

/** The transfer's in-place check: what the target already held, saved beside the manifests. */
const InPlaceCheck = z.object({
  filesInPlace: z.number(),
  bytesInPlace: z.number(),
  /** Digest of every entry the check looked at: the check is reused only for the same entries. */
  all: z.string(),
  file: z.string(),
  digest: z.string(),
});

export const TransferCheckpoint = z.object({
  /** Digest of the entries being sent: batch numbers mean something only for the same entries. */
  digest: z.string(),
  /** Verified batch numbers, as runs `[first, last]` (journals before runs hold plain numbers). */
  verified: z.array(z.union([z.number(), z.tuple([z.number(), z.number()])])),
  inPlace: InPlaceCheck.optional(),
  /** Large files sent by ranges: how many are done, and the verified part of the current one. */
  large: LargeProgress.optional(),
  /** How the entries were cut into batches (batchPlanId); absent: the 0.1.0 plan, not resumed from. */
  plan: z.string().optional(),
});
export type TransferCheckpoint = z.infer<typeof TransferCheckpoint>;

export const TransferOutput = z.object({
  manifestDigest: z.string(),
  batches: z.number(),
  filesSent: z.number(),
  filesSkipped: z.number(),
  bytesSent: z.number(),
  filesInPlace: z.number().optional(),
  bytesInPlace: z.number().optional(),
  inPlaceDigest: z.string().optional(),
  /** The snapshot's dumps: their size, the bytes sent for them (included in bytesSent), the bytes the target already held. */
  dumpBytes: z.number().optional(),
  dumpBytesSent: z.number().optional(),
  dumpBytesReused: z.number().optional(),
  changedDuringTransfer: z.number(),
  durationMs: z.number(),
  averageBps: z.number(),
  /** Bytes of large files an earlier attempt had verified on the target, not sent again. */
  bytesResumed: z.number().optional(),
  /** Large files sent by ranges. */
  filesByRanges: z.number().optional(),
  /** Entries checked on the target as they arrived (the receiver's receipt), nothing read back. */
  checkedOnArrival: z.number().optional(),
  /** Entries the receipt showed differently from the manifest, listed and hashed again. */
  listedAgain: z.number().optional(),
});
export type TransferOutput = z.infer<typeof TransferOutput>;

const Rewrite = FinalFiles.shape.rewrites.element;

export const ReconfigureCheckpoint = z.object({
  commandsDone: z.number(),
  /** Replications started or starting, by database: journaled before their objects exist. */
  replication: z.record(z.string(), ReplicationStateRecord).optional(),
});
export type ReconfigureCheckpoint = z.infer<typeof ReconfigureCheckpoint>;

/**
 * The target's listing kept on the target after the reconfigure (steps/target-kept.ts): its
 * sha256, the snapshot it was compared with, and the paths that differed from it then.
 */
export const KeptTarget = z.object({
  file: z.string(),
  sha256: z.string(),
  snapshotDigest: z.string(),
  doubtfulFile: z.string(),
  doubtfulDigest: z.string(),
});
export type KeptTarget = z.infer<typeof KeptTarget>;

export const ReconfigureOutput = z.object({
  rewrites: z.array(Rewrite),
  commandsRun: z.number(),
  databases: z.array(
    z.object({
      name: z.string(),
      rowCounts: RowCounts,
      differences: z.array(z.string()),
      /** How long the restore took (a rehearsal projects the cutover's restore from it). */
      durationMs: z.number().optional(),
    }),
  ),
  /** Databases replicating to the target, by name: the cutover catches them up and tears them down. */
  replication: z.record(z.string(), ReplicationStateRecord).optional(),
  keptTarget: KeptTarget.optional(),
});
export type ReconfigureOutput = z.infer<typeof ReconfigureOutput>;

export const CutoverOutput = FinalFiles.extend({
  /** When the source stopped serving: the start of the downtime the engine measures and budgets. */
  frozenAt: z.string(),
  switchedAt: z.string(),
  /** What the switch did (strategy, record or upstream, where it points now). */
  traffic: z.record(z.string(), z.unknown()),
  databases: z.array(FinalDatabase),
  /** The target's tree as compared before its services started; absent in 0.1.0 journals. */
  targetTree: TargetTree.optional(),
});
export type CutoverOutput = z.infer<typeof CutoverOutput>;

export const VerifyOutput = z.object({
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  manifestDigest: z.string(),
  targetManifestDigest: z.string(),
});
export type VerifyOutput = z.infer<typeof VerifyOutput>;

/** The cutover's undo, journaled as step "rollback": why it ran. */
export const RollbackOutput = z.object({ reason: z.string() });
export type RollbackOutput = z.infer<typeof RollbackOutput>;

/**
 * A rehearsal on the target (steps/rehearse.ts), journaled as pseudo-step "rehearse": the
 * services it started and stopped again, the checks it ran against the target directly, what it
 * measured, and the cutover's downtime projected from those measurements.
 */
export const RehearseOutput = z.object({
  /** Target services that were not running and were started for the rehearsal (and stopped). */
  started: z.array(z.string()),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  measured: z.object({
    /** Listing the source's tree (metadata only), as the cutover's final sync does first. */
    listMs: z.number(),
    /** Files and bytes changed on the source since this rehearsal's snapshot, and hashing them. */
    changedFiles: z.number(),
    changedBytes: z.number(),
    hashMs: z.number(),
    /** Hashing the target's tree to compare it, as the cutover does before the target starts. */
    treeMs: z.number(),
    /** The rehearsal's own transfer rate (bytes/s); 0 when it sent nothing. */
    transferBps: z.number(),
    /** Per database: the snapshot's dump and the reconfigure's restore. */
    dumpMs: z.number(),
    dumpBytes: z.number(),
    restoreMs: z.number(),
    startMs: z.number(),
    verifyMs: z.number(),
    /** Stopping the workload's services on the target: the freeze stops them on the source. */
    stopMs: z.number(),
    /** Testing the gateway's configuration (`nginx -t`), as a proxy switch does; 0 otherwise. */
    switchMs: z.number(),
  }),
  /** The cutover's downtime as projected from `measured` (projection.ts), in ms. */
  projectedDowntimeMs: z.number(),
});
export type RehearseOutput = z.infer<typeof RehearseOutput>;

/** A step that never checkpoints: any checkpoint record for it is damage. */
const NoCheckpoint = z.never();

/** Per journaled step label: its output and checkpoint schema. */
export const STEP_CONTRACTS = {
  snapshot: { outputs: SnapshotOutput, checkpoint: NoCheckpoint },
  transfer: { outputs: TransferOutput, checkpoint: TransferCheckpoint },
  reconfigure: { outputs: ReconfigureOutput, checkpoint: ReconfigureCheckpoint },
  cutover: { outputs: CutoverOutput, checkpoint: CutoverCheckpoint },
  verify: { outputs: VerifyOutput, checkpoint: NoCheckpoint },
  rollback: { outputs: RollbackOutput, checkpoint: NoCheckpoint },
  rehearse: { outputs: RehearseOutput, checkpoint: NoCheckpoint },
} as const satisfies Record<
  StepName | "rollback" | "rehearse",
  { outputs: z.ZodType; checkpoint: z.ZodType }
>;

type Contracts = typeof STEP_CONTRACTS;
export type StepLabel = keyof Contracts;
/** Outputs per step, as journaled with its finish record. */
export type StepOutputs = { [S in StepLabel]: z.infer<Contracts[S]["outputs"]> };
/** Checkpoint per step (`never` for a step that keeps none). */
export type StepCheckpoints = { [S in StepLabel]: z.infer<Contracts[S]["checkpoint"]> };

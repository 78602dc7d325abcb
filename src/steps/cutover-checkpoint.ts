/**
 * The cutover's checkpoint: which of its sub-phases are done, each journaled (fsynced) the
 * moment it is, with what it produced. A retry or a resumed run continues after the last one:
 * the final sync and the database restore never run again once the target's services started,
 * because from then on the target may hold writes the source never had; after the switch only
 * the rollback may touch anything.
 */
import { z } from "zod";

/**
 * In order. `frozen`: source services stopped; `synced`: files final-synced and the target's
 * tree checked; `restored`: databases; `started`: target services; `switching`: journaled just
 * before the switch is sent, since from then on traffic may reach the target (a crash between
 * `nginx -s reload` and the next record leaves no other trace); `switched`: traffic is there.
 */
export const CUTOVER_PHASES = ["frozen", "synced", "restored", "started", "switching", "switched"] as const;
export const CutoverPhase = z.enum(CUTOVER_PHASES);
export type CutoverPhase = z.infer<typeof CutoverPhase>;

const Rewrite = z.object({
  file: z.string(),
  before: z.string(),
  after: z.string(),
  replacements: z.number(),
});

export const FinalFiles = z.object({
  manifestFile: z.string(),
  manifestDigest: z.string(),
  delta: z.record(z.string(), z.number()),
  rewrites: z.array(Rewrite),
});
export type FinalFiles = z.infer<typeof FinalFiles>;

export const FinalDatabase = z.object({
  name: z.string(),
  rowCounts: z.record(z.string(), z.number()),
  /** Bytes sent over the link for the final dump (the chunks the target lacked, compressed). */
  dumpBytes: z.number(),
  /** The final dump's size, and the bytes of it the target's chunk store already held. */
  dumpSize: z.number().optional(),
  dumpBytesReused: z.number().optional(),
  /** replicate: caught up instead of dumped (absent: dump). */
  mode: z.enum(["replicate", "dump"]).optional(),
  /** Replication lag when the source froze, and how long the target took to apply it. */
  lagBytes: z.number().optional(),
  catchUpMs: z.number().optional(),
});
export type FinalDatabase = z.infer<typeof FinalDatabase>;

/** The target's tree as checked before its services started (the data as of the switch). */
export const TargetTree = z.object({
  digest: z.string(),
  targetDigest: z.string(),
  /** Files hashed on the target for the comparison; the rest were vouched for by evidence. */
  filesHashed: z.number().optional(),
  /** Every file hashed afresh (`verify: { full: true }`). */
  full: z.boolean().optional(),
});

/** A reverse replication kept for a rollback (db/replication/reverse-types.ts), by its names. */
export const ReverseState = z.object({
  engine: z.enum(["postgresql", "mysql"]),
  objects: z.record(z.string(), z.string()),
});
export type ReverseState = z.infer<typeof ReverseState>;

export const CutoverCheckpoint = z.object({
  // Journals written before sub-phases existed hold only `frozenAt`: that is `frozen`.
  phase: CutoverPhase.default("frozen"),
  frozenAt: z.string(),
  files: FinalFiles.optional(),
  targetTree: TargetTree.optional(),
  databases: z.array(FinalDatabase).optional(),
  /** Replicated databases whose target applied everything (sequences set): from here their
   *  replication is torn down, so a resumed cutover never starts it again. */
  caughtUp: z.array(FinalDatabase).optional(),
  /** Replicated databases whose target keeps a reverse position from the switch on, so a
   *  rollback carries the target's writes back: journaled before the objects exist. */
  reverse: z.record(z.string(), ReverseState).optional(),
  /** Replicated databases that keep none, and why: a rollback refuses to discard their writes. */
  reverseUnavailable: z.record(z.string(), z.string()).optional(),
  startedAt: z.string().optional(),
  switchedAt: z.string().optional(),
  traffic: z.record(z.string(), z.unknown()).optional(),
});
export type CutoverCheckpoint = z.infer<typeof CutoverCheckpoint>;

/** Whether `phase` is done in `checkpoint`. */
export function reached(checkpoint: CutoverCheckpoint | undefined, phase: CutoverPhase): boolean {
  if (!checkpoint) return false;
  return CUTOVER_PHASES.indexOf(checkpoint.phase) >= CUTOVER_PHASES.indexOf(phase);
}

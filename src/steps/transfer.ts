/**
 * transfer: the snapshot's files, streamed source → orchestrator → target in verified,
 * checkpointed batches (src/transfer), and its database dumps, each as a delta against the
 * chunks the target already holds (send-dumps.ts). What the target already holds — verified
 * there by its digest (transfer/in-place.ts) — is journaled as in place and not sent: a
 * hand-copied or seeded target, or one left by an attempt whose journal was lost. A resumed
 * attempt keeps the first attempt's in-place list (saved beside the manifests, its digest
 * journaled) and skips every batch an earlier attempt verified, saying so in `filesSkipped`.
 */

import { join } from "node:path";
import { comparePaths, type ManifestEntry } from "../manifest/model.ts";
import { mergeJoin } from "../manifest/sorted-file.ts";
import { digestSorted } from "../manifest/store.ts";
import { hashDeadlineMs } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import { batchPlanId, DEFAULT_BATCH_LIMITS, fromRuns, toRuns } from "../transfer/batches.ts";
import { findInPlace } from "../transfer/in-place.ts";
import { LARGE_FILE_BYTES, type LargeProgress } from "../transfer/ranges.ts";
import { syncEntries } from "../transfer/sync.ts";
import { EVIDENCE_FILE } from "../transfer/target-evidence.ts";
import type { TransferCheckpoint } from "./contracts.ts";
import type { TransferInput } from "./inputs.ts";
import { sendDumps } from "./send-dumps.ts";
import {
  latestManifestFile,
  localArtifact,
  type ManifestFile,
  openManifest,
  saveManifest,
} from "./support.ts";
import type { Step, StepContext } from "./types.ts";

interface Partition {
  figures: { filesInPlace: number; bytesInPlace: number };
  /** The entries to send, in path order: the manifest without those in place, read afresh each call. */
  send: () => AsyncIterable<ManifestEntry>;
  /** Digest of the entries to send (what verified batch numbers refer to). */
  digest: string;
  /** The in-place list's digest and where it is saved, for the checkpoint. */
  saved: { file: string; digest: string };
}

/** Checkpoint fields of an earlier attempt's in-place check, when it was over these same entries. */
function earlierCheck(context: StepContext<TransferCheckpoint>, allDigest: string) {
  const inPlace = context.lastCheckpoint?.inPlace;
  if (inPlace?.all !== allDigest) return undefined;
  return { ...inPlace, file: localArtifact(context, inPlace.file) };
}

/** `all` without the paths of `minus` (both in path order). */
async function* without(
  all: AsyncIterable<ManifestEntry>,
  minus: AsyncIterable<ManifestEntry>,
): AsyncGenerator<ManifestEntry> {
  const byPath = {
    left: (e: ManifestEntry) => e.path,
    right: (e: ManifestEntry) => e.path,
    compare: comparePaths,
  };
  for await (const { left, right } of mergeJoin(all, minus, byPath))
    if (left !== undefined && right === undefined) yield left;
}

async function partition(
  input: TransferInput,
  context: StepContext<TransferCheckpoint>,
  target: Remote,
  manifest: ManifestFile,
  snapshot: { manifestDigest: string; files: number; bytes: number },
): Promise<Partition> {
  const { signal } = context;
  const allDigest = snapshot.manifestDigest;
  const split = async (figures: Partition["figures"], saved: Partition["saved"]): Promise<Partition> => {
    if (figures.filesInPlace === 0) return { figures, send: manifest.entries, digest: allDigest, saved };
    const inPlace = await openManifest(saved.file, saved.digest);
    const send = () => without(manifest.entries(), inPlace.entries());
    return { figures, send, digest: await digestSorted(input.hash, send), saved };
  };
  const earlier = earlierCheck(context, allDigest);
  if (earlier) {
    const { filesInPlace, bytesInPlace, file, digest } = earlier;
    return split({ filesInPlace, bytesInPlace }, { file, digest });
  }
  const found = await findInPlace({
    target,
    entries: manifest.entries,
    roots: [...manifest.roots],
    hash: input.hash,
    signal,
    timeoutMs: hashDeadlineMs(snapshot.bytes),
    evidenceFile: join(context.workDir, EVIDENCE_FILE),
    workDir: context.workDir,
  });
  const saved = await saveManifest(context, "in-place", {
    hash: input.hash,
    roots: [],
    entries: found.inPlace,
  });
  if (found.inPlace.length > 0) {
    context.log.info(
      `found ${found.inPlace.length} of ${snapshot.files} entries in place on ${target.host} (digest verified there); not sending them`,
      {
        bytesInPlace: found.bytesInPlace,
        candidates: found.candidates,
        hashed: found.hashed,
        retimed: found.retimed,
        phasesMs: found.phasesMs,
      },
    );
  }
  return split({ filesInPlace: found.filesInPlace, bytesInPlace: found.bytesInPlace }, saved);
}

export const transfer: Step<"transfer"> = {
  name: "transfer",
  async run(input, context) {
    const { signal } = context;
    // Read as a stream from the sorted file on disk, never held: memory stays flat whatever the tree.
    const manifest = await latestManifestFile(context, ["snapshot"], input.workload);
    const snapshot = context.outputsOf("snapshot")!;
    const source = await context.remote(input.source.name);
    const target = await context.remote(input.target.name);
    // Dumps travel as deltas against the chunks the target holds, beside the in-place check of the files.
    const [dumped, parts] = await Promise.all([
      // A replicated database has no dump: the engine seeds the target in reconfigure.
      sendDumps(
        (context.outputsOf("snapshot")?.databases ?? []).filter((db) => db.mode !== "replicate"),
        { source, target, stagingDir: input.stagingDir, hash: input.hash },
        context,
      ),
      partition(input, context, target, manifest, snapshot),
    ]);
    const { figures, digest } = parts;
    // The batch plan is a function of these entries, so verified batch numbers stay meaningful
    // across attempts only while the entries are the same: the digest says whether they are.
    const plan = batchPlanId(DEFAULT_BATCH_LIMITS, LARGE_FILE_BYTES);
    const last = context.lastCheckpoint;
    const same = last?.digest === digest && last.plan === plan;
    const verified = same ? fromRuns(last.verified) : new Set<number>();
    let large: LargeProgress | undefined = same ? last.large : undefined;
    if (verified.size > 0)
      context.log.info(`resuming: ${verified.size} batch(es) already verified on the target`);
    if (large?.current)
      context.log.info(
        `resuming ${large.current.path} after ${large.current.through} bytes verified on the target`,
      );
    const inPlace: TransferCheckpoint["inPlace"] = {
      ...figures,
      all: snapshot.manifestDigest,
      ...parts.saved,
    };
    // Each checkpoint is the whole small state: verified batches as runs, the large-file position.
    const save = (done: Iterable<number>) =>
      context.checkpoint({ digest, plan, verified: toRuns(done), inPlace, ...(large ? { large } : {}) });
    // Journaled before anything is sent: what was verified in place, and its digest. (Without
    // anything in place the first checkpoint stays the first verified batch's, as it was.)
    if (figures.filesInPlace > 0) await save(verified);
    const result = await syncEntries({
      source,
      target,
      entries: parts.send,
      hash: input.hash,
      signal,
      throttle: context.throttle,
      progress: (progress) => context.progress({ ...progress, ...figures }),
      verified,
      roots: input.paths,
      live: true,
      evidenceFile: join(context.workDir, EVIDENCE_FILE),
      onVerified: (_batch, done) => save(done),
      ranges: {
        from: large,
        onProgress: (progress) => {
          large = progress;
          return save(verified);
        },
      },
    });
    return {
      manifestDigest: digest,
      batches: result.batches,
      filesSent: result.filesSent,
      filesSkipped: result.filesSkipped,
      bytesSent: result.bytesSent + dumped.dumpBytesSent,
      ...figures,
      ...dumped,
      inPlaceDigest: parts.saved.digest,
      changedDuringTransfer: result.changedDuringTransfer,
      durationMs: result.durationMs,
      averageBps: result.averageBps,
      bytesResumed: result.bytesResumed,
      filesByRanges: result.filesByRanges,
      checkedOnArrival: result.checkedOnArrival,
      listedAgain: result.listedAgain,
    };
  },
};

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
import { type ManifestEntry, manifestDigest, totalBytes } from "../manifest/model.ts";
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
import { latestManifest, loadManifest, localArtifact, saveManifest } from "./support.ts";
import type { Step, StepContext } from "./types.ts";

interface Partition {
  inPlace: ManifestEntry[];
  send: ManifestEntry[];
  /** Digest of `inPlace` and where it is saved, for the checkpoint. */
  saved: { file: string; digest: string };
}

/** Checkpoint fields of an earlier attempt's in-place check, when it was over these same entries. */
function earlierCheck(
  context: StepContext<TransferCheckpoint>,
  allDigest: string,
): { file: string; digest: string } | undefined {
  const inPlace = context.lastCheckpoint?.inPlace;
  if (inPlace?.all !== allDigest) return undefined;
  return { file: localArtifact(context, inPlace.file), digest: inPlace.digest };
}

async function partition(
  input: TransferInput,
  context: StepContext<TransferCheckpoint>,
  target: Remote,
  all: ManifestEntry[],
  roots: string[],
  allDigest: string,
): Promise<Partition> {
  const { signal } = context;
  const earlier = earlierCheck(context, allDigest);
  if (earlier) {
    const inPlace = (await loadManifest(earlier.file, earlier.digest)).entries;
    const paths = new Set(inPlace.map((entry) => entry.path));
    return { inPlace, send: all.filter((entry) => !paths.has(entry.path)), saved: earlier };
  }
  const found = await findInPlace({
    target,
    entries: all,
    roots,
    hash: input.hash,
    signal,
    timeoutMs: hashDeadlineMs(totalBytes(all)),
    evidenceFile: join(context.workDir, EVIDENCE_FILE),
  });
  const saved = await saveManifest(context, "in-place", {
    hash: input.hash,
    roots: [],
    entries: found.inPlace,
  });
  if (found.inPlace.length > 0) {
    context.log.info(
      `found ${found.inPlace.length} of ${all.length} entries in place on ${target.host} (digest verified there); not sending them`,
      {
        bytesInPlace: totalBytes(found.inPlace),
        candidates: found.candidates,
        hashed: found.hashed,
        retimed: found.retimed,
        phasesMs: found.phasesMs,
      },
    );
  }
  return { inPlace: found.inPlace, send: found.send, saved };
}

export const transfer: Step<"transfer"> = {
  name: "transfer",
  async run(input, context) {
    const { signal } = context;
    const manifest = await latestManifest(context, ["snapshot"], input.workload);
    const source = await context.remote(input.source.name);
    const target = await context.remote(input.target.name);
    const all = manifest.entries;
    const allDigest = manifestDigest({ hash: input.hash, roots: [], entries: all });
    // Dumps travel as deltas against the chunks the target holds, beside the in-place check of the files.
    const [dumped, parts] = await Promise.all([
      // A replicated database has no dump: the engine seeds the target in reconfigure.
      sendDumps(
        (context.outputsOf("snapshot")?.databases ?? []).filter((db) => db.mode !== "replicate"),
        { source, target, stagingDir: input.stagingDir, hash: input.hash },
        context,
      ),
      partition(input, context, target, all, [...manifest.roots], allDigest),
    ]);
    const figures = { filesInPlace: parts.inPlace.length, bytesInPlace: totalBytes(parts.inPlace) };
    const entries = parts.send;
    // The batch plan is a function of these entries, so verified batch numbers stay meaningful
    // across attempts only while the entries are the same: the digest says whether they are.
    const digest = manifestDigest({ hash: input.hash, roots: [], entries });
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
    const inPlace: TransferCheckpoint["inPlace"] = { ...figures, all: allDigest, ...parts.saved };
    // Each checkpoint is the whole small state: verified batches as runs, the large-file position.
    const save = (done: Iterable<number>) =>
      context.checkpoint({ digest, plan, verified: toRuns(done), inPlace, ...(large ? { large } : {}) });
    // Journaled before anything is sent: what was verified in place, and its digest. (Without
    // anything in place the first checkpoint stays the first verified batch's, as it was.)
    if (figures.filesInPlace > 0) await save(verified);
    const result = await syncEntries({
      source,
      target,
      entries,
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
      changedDuringTransfer: result.changedDuringTransfer.length,
      durationMs: result.durationMs,
      averageBps: result.averageBps,
      bytesResumed: result.bytesResumed,
      filesByRanges: result.filesByRanges,
    };
  },
};

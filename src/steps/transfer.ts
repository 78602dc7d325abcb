/**
 * transfer: the snapshot's files and database dumps, streamed source → orchestrator → target
 * in verified, checkpointed batches (src/transfer). What the target already holds — verified
 * there by its digest (transfer/in-place.ts) — is journaled as in place and not sent: a
 * hand-copied or seeded target, or one left by an attempt whose journal was lost. A resumed
 * attempt keeps the first attempt's in-place list (saved beside the manifests, its digest
 * journaled) and skips every batch an earlier attempt verified, saying so in `filesSkipped`.
 */

import { join } from "node:path";
import { collectManifest } from "../manifest/collect.ts";
import { type ManifestEntry, manifestDigest, totalBytes } from "../manifest/model.ts";
import { hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import type { Remote } from "../remote/types.ts";
import { findInPlace } from "../transfer/in-place.ts";
import { syncEntries } from "../transfer/sync.ts";
import { EVIDENCE_FILE } from "../transfer/target-evidence.ts";
import type { TransferCheckpoint } from "./contracts.ts";
import type { TransferInput } from "./inputs.ts";
import { ensureStaging, latestManifest, loadManifest, saveManifest } from "./support.ts";
import { treeSize } from "./tree-size.ts";
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
  return { file: inPlace.file, digest: inPlace.digest };
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
    const dumps = (context.outputsOf("snapshot")?.databases ?? []).map((db) => db.dumpFile);
    const dumpSize = await treeSize(source, dumps, signal);
    const dumpEntries = await collectManifest(source, dumps, {
      mode: "list",
      hash: input.hash,
      signal,
      timeoutMs: hashDeadlineMs(dumpSize.bytes),
      idleTimeoutMs: hashStallMs(dumpSize.largest),
    });
    const all = [...manifest.entries, ...dumpEntries];
    const allDigest = manifestDigest({ hash: input.hash, roots: [], entries: all });
    const parts = await partition(input, context, target, all, [...manifest.roots, ...dumps], allDigest);
    const figures = { filesInPlace: parts.inPlace.length, bytesInPlace: totalBytes(parts.inPlace) };
    const entries = parts.send;
    // The batch plan is a function of these entries, so verified batch numbers stay meaningful
    // across attempts only while the entries are the same: the digest says whether they are.
    const digest = manifestDigest({ hash: input.hash, roots: [], entries });
    const last = context.lastCheckpoint;
    const verified = last?.digest === digest ? new Set(last.verified) : new Set<number>();
    if (verified.size > 0)
      context.log.info(`resuming: ${verified.size} batch(es) already verified on the target`);
    const inPlace: TransferCheckpoint["inPlace"] = { ...figures, all: allDigest, ...parts.saved };
    // Journaled before anything is sent: what was verified in place, and its digest. (Without
    // anything in place the first checkpoint stays the first verified batch's, as it was.)
    if (figures.filesInPlace > 0) await context.checkpoint({ digest, verified: [...verified], inPlace });
    // The figure in place is on screen from here on, before the first byte is sent.
    context.progress({
      bytesDone: 0,
      bytesTotal: totalBytes(entries),
      filesDone: 0,
      filesTotal: entries.length,
      rateBps: 0,
      ...figures,
    });
    if (dumps.length > 0) await ensureStaging(target, input.stagingDir, signal);
    const result = await syncEntries({
      source,
      target,
      entries,
      hash: input.hash,
      signal,
      throttle: context.throttle,
      progress: (progress) => context.progress({ ...progress, ...figures }),
      verified,
      roots: [...input.paths, ...dumps],
      live: true,
      evidenceFile: join(context.workDir, EVIDENCE_FILE),
      onVerified: (_batch, done) => context.checkpoint({ digest, verified: [...done], inPlace }),
    });
    return {
      manifestDigest: digest,
      batches: result.batches,
      filesSent: result.filesSent,
      filesSkipped: result.filesSkipped,
      bytesSent: result.bytesSent,
      ...figures,
      inPlaceDigest: parts.saved.digest,
      changedDuringTransfer: result.changedDuringTransfer.length,
      durationMs: result.durationMs,
      averageBps: result.averageBps,
    };
  },
};

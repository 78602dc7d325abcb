/**
 * transfer: the snapshot's files and database dumps, streamed source → orchestrator → target
 * in verified, checkpointed batches (src/transfer). What the target already holds — verified
 * there by its digest (transfer/in-place.ts) — is journaled as in place and not sent: a
 * hand-copied or seeded target, or one left by an attempt whose journal was lost. A resumed
 * attempt skips every batch an earlier attempt verified and says so in `filesSkipped`.
 */
import { sh } from "../remote/shell.ts";
import { findInPlace } from "../transfer/in-place.ts";
import { syncEntries } from "../transfer/sync.ts";
import { collectManifest } from "./manifest/collect.ts";
import { manifestDigest, totalBytes } from "./manifest/model.ts";
import type { DatabaseSnapshot } from "./snapshot.ts";
import { hostWorkDir, latestManifest, QUICK_MS, TREE_MS } from "./support.ts";
import type { Step } from "./types.ts";

export const transfer: Step = {
  name: "transfer",
  async run(context) {
    const { workload, signal } = context;
    const manifest = await latestManifest(context, ["snapshot"]);
    const source = await context.remote(workload.source);
    const target = await context.remote(workload.target);
    const dumps = ((context.outputsOf("snapshot")?.databases ?? []) as DatabaseSnapshot[]).map(
      (db) => db.dumpFile,
    );
    const dumpEntries = await collectManifest(source, dumps, {
      mode: "list",
      hash: workload.hash,
      signal,
      timeoutMs: TREE_MS,
    });
    const all = [...manifest.entries, ...dumpEntries];
    const found = await findInPlace({
      target,
      entries: all,
      roots: [...manifest.roots, ...dumps],
      hash: workload.hash,
      signal,
      timeoutMs: TREE_MS,
    });
    const inPlace = { filesInPlace: found.filesInPlace, bytesInPlace: found.bytesInPlace };
    const entries = found.send;
    // The batch plan is a function of these entries, so verified batch numbers stay meaningful
    // across attempts only while the entries are the same: the digest says whether they are.
    const digest = manifestDigest({ hash: workload.hash, roots: [], entries });
    const inPlaceDigest = manifestDigest({ hash: workload.hash, roots: [], entries: found.inPlace });
    const last = context.lastCheckpoint;
    const verified =
      last?.digest === digest && Array.isArray(last.verified)
        ? new Set(last.verified as number[])
        : new Set<number>();
    if (verified.size > 0)
      context.log.info(`resuming: ${verified.size} batch(es) already verified on the target`);
    if (found.filesInPlace > 0) {
      context.log.info(
        `found ${found.filesInPlace} of ${all.length} entries in place on ${target.host} (digest verified there); not sending them`,
        { ...inPlace, candidates: found.candidates },
      );
      // Journaled before anything is sent: what was verified in place, and its digest.
      await context.checkpoint({
        digest,
        verified: [...verified],
        inPlace: { ...inPlace, digest: inPlaceDigest },
      });
    }
    // The figure in place is on screen from here on, before the first byte is sent.
    context.progress({
      bytesDone: 0,
      bytesTotal: totalBytes(entries),
      filesDone: 0,
      filesTotal: entries.length,
      rateBps: 0,
      ...inPlace,
    });
    if (dumps.length > 0) {
      await target.check(sh`mkdir -p -m 700 ${hostWorkDir(workload)}`, { signal, timeoutMs: QUICK_MS });
    }
    const result = await syncEntries({
      source,
      target,
      entries,
      hash: workload.hash,
      signal,
      throttle: context.throttle,
      progress: (progress) => context.progress({ ...progress, ...inPlace }),
      verified,
      onVerified: (_batch, done) =>
        context.checkpoint({ digest, verified: [...done], inPlace: { ...inPlace, digest: inPlaceDigest } }),
    });
    return {
      manifestDigest: digest,
      batches: result.batches,
      filesSent: result.filesSent,
      filesSkipped: result.filesSkipped,
      bytesSent: result.bytesSent,
      filesInPlace: found.filesInPlace,
      bytesInPlace: found.bytesInPlace,
      inPlaceDigest,
      changedDuringTransfer: result.changedDuringTransfer.length,
      durationMs: result.durationMs,
      averageBps: result.averageBps,
    };
  },
};

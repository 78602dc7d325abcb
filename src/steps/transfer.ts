/**
 * transfer: the snapshot's files and database dumps, streamed source → orchestrator → target
 * in verified, checkpointed batches (src/transfer). A resumed attempt skips every batch an
 * earlier attempt verified and says so in `filesSkipped`.
 */
import { syncEntries } from "../transfer/sync.ts";
import { collectManifest } from "./manifest/collect.ts";
import { manifestDigest } from "./manifest/model.ts";
import type { DatabaseSnapshot } from "./snapshot.ts";
import { ensureStaging, latestManifest, TREE_MS } from "./support.ts";
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
    const entries = [...manifest.entries, ...dumpEntries];
    // The batch plan is a function of these entries, so verified batch numbers stay meaningful
    // across attempts only while the entries are the same: the digest says whether they are.
    const digest = manifestDigest({ hash: workload.hash, roots: [], entries });
    const last = context.lastCheckpoint;
    const verified =
      last?.digest === digest && Array.isArray(last.verified)
        ? new Set(last.verified as number[])
        : new Set<number>();
    if (verified.size > 0)
      context.log.info(`resuming: ${verified.size} batch(es) already verified on the target`);
    if (dumps.length > 0) await ensureStaging(target, workload, signal);
    const result = await syncEntries({
      source,
      target,
      entries,
      hash: workload.hash,
      signal,
      throttle: context.throttle,
      progress: (progress) => context.progress(progress),
      verified,
      roots: [...workload.paths, ...dumps],
      live: true,
      onVerified: (_batch, all) => context.checkpoint({ digest, verified: [...all] }),
    });
    return {
      manifestDigest: digest,
      batches: result.batches,
      filesSent: result.filesSent,
      filesSkipped: result.filesSkipped,
      bytesSent: result.bytesSent,
      changedDuringTransfer: result.changedDuringTransfer.length,
      durationMs: result.durationMs,
      averageBps: result.averageBps,
    };
  },
};

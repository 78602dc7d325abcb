/**
 * transfer: the snapshot's files and database dumps, streamed source → orchestrator → target
 * in verified, checkpointed batches (src/transfer). A resumed attempt skips every batch an
 * earlier attempt verified and says so in `filesSkipped`.
 */

import { hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import { syncEntries } from "../transfer/sync.ts";
import { collectManifest } from "./manifest/collect.ts";
import { manifestDigest } from "./manifest/model.ts";
import type { DatabaseSnapshot } from "./snapshot.ts";
import { hostWorkDir, latestManifest, QUICK_MS } from "./support.ts";
import { treeSize } from "./tree-size.ts";
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
    const dumpSize = await treeSize(source, dumps, signal);
    const dumpEntries = await collectManifest(source, dumps, {
      mode: "list",
      hash: workload.hash,
      signal,
      timeoutMs: hashDeadlineMs(dumpSize.bytes),
      idleTimeoutMs: hashStallMs(dumpSize.largest),
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
      progress: (progress) => context.progress(progress),
      verified,
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

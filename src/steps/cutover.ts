/**
 * cutover (the engine has checked the window), as journaled sub-phases (cutover-checkpoint.ts):
 *   frozen    source services stopped and replicated databases made read-only, side by side
 *             (`frozenAt`, the start of the downtime)
 *   synced    final delta sync of the files, and the target's tree compared with the source's
 *             final manifest — before anything on the target runs, so it is the data as of
 *             the switch (verify afterwards only runs health checks); the sync's one listing
 *             of the target is the comparison (synced-tree.ts), unless `verify.full`
 *   restored  dumped databases dumped again and restored, row counts equal to the dump's;
 *             replicated ones caught up (while the files sync: `caughtUp` may be journaled
 *             before `synced`) and counted equal to the frozen source (counted meanwhile)
 *   started   target services started (the replication torn down meanwhile)
 *   switching about to switch: traffic may reach the target from here on
 *   switched  traffic points at the target
 * A retry or a resumed run continues after the last journaled phase: once the target's services
 * started, no sync or restore runs again over what the target may have written. undo(): the
 * target's database writes since the switch carried back where a reverse position was kept
 * (reverse-replication.ts; refused before anything changes where they would be lost), then
 * source services started, traffic back to the source, target services stopped — in that
 * order, so requests always find a running side; it moves no files.
 */
import { RemoteError } from "../errors.ts";
import { CutoverOutput } from "./contracts.ts";
import {
  type CutoverCheckpoint,
  type CutoverPhase,
  type FinalDatabase,
  reached,
} from "./cutover-checkpoint.ts";
import {
  catchUp,
  countSources,
  freezeDatabases,
  type Replicated,
  reportTargetWrites,
  resumeReplications,
  splitDatabases,
  teardownReplications,
  verifyCounts,
} from "./cutover-replication.ts";
import { moveDatabases } from "./final-databases.ts";
import { syncFiles } from "./final-sync.ts";
import { carryBack, refuseDiscarding, reserveReverse } from "./reverse-replication.ts";
import { startServices, stopServices } from "./services.ts";
import { compareTargetTree } from "./target-tree.ts";
import { checkSwitchable, switchTraffic } from "./traffic/switch.ts";
import type { CutoverProgress, Step } from "./types.ts";

function treeMismatch(target: string, reason: string): RemoteError {
  return new RemoteError(
    "verify",
    `verify failed: ${reason}`,
    { host: target, command: "check: manifest", exitCode: null },
    {
      retryable: false,
      hint: "checked before the target started, so nothing was switched; the cutover is rolled back — fix the target and run apply again",
    },
  );
}

export function cutoverProgress(state: CutoverCheckpoint | undefined): CutoverProgress {
  if (!state) return "none";
  // Once a switch may have been sent, the target may hold writes: finish it, never defer it.
  return reached(state, "switching") ? "switched" : "frozen";
}

export const cutover: Step<"cutover"> = {
  name: "cutover",
  progressOf: cutoverProgress,
  async run(input, context) {
    const { signal } = context;
    const source = await context.remote(input.source.name);
    const target = await context.remote(input.target.name);
    let state = context.lastCheckpoint;
    // The file sync and the catch-up run side by side: their checkpoints are written one after
    // the other, each holding everything saved before it.
    let saving = Promise.resolve();
    const save = (phase: CutoverPhase, fields: Partial<CutoverCheckpoint>): Promise<CutoverCheckpoint> => {
      const next: CutoverCheckpoint = { ...(state as CutoverCheckpoint), ...fields, phase };
      state = next;
      saving = saving.then(() => context.checkpoint(next));
      return saving.then(() => next);
    };

    const hosts = { source, target };
    const { replicated, dumped } = splitDatabases(input, context);
    // Caught up before a crash: already being torn down, never started again.
    const caught = (name: string) => state?.caughtUp?.find((db) => db.name === name);
    const streaming = replicated.filter(({ db }) => !caught(db.name));
    if (!reached(state, "restored")) {
      // A rehearsal that crashed left the target read-only: the switched target must take writes.
      await freezeDatabases(input, context, hosts, replicated, "thaw", "target");
      await resumeReplications(input, context, hosts, streaming);
    }
    if (state === undefined) {
      // A refusal that can be known now comes before the source stops serving.
      await checkSwitchable(input, context);
      const frozenAt = context.now().toISOString();
      // Both before the source's final position is read (catch-up), so no write can follow it.
      await Promise.all([
        stopServices(source, input.services, signal),
        freezeDatabases(input, context, hosts, streaming, "freeze"),
      ]);
      state = { phase: "frozen", frozenAt };
      await context.checkpoint(state);
      context.log.info(`source ${input.source.name} frozen`, { services: input.services });
    } else {
      context.log.info(`resuming the cutover after its "${state.phase}" phase`);
      // Until the target runs, the source must stay stopped (someone may have started it).
      if (!reached(state, "started")) {
        await Promise.all([
          stopServices(source, input.services, signal),
          freezeDatabases(input, context, hosts, streaming, "freeze"),
        ]);
      }
    }

    const syncing = async () => {
      if (reached(state, "synced")) return;
      const full = input.verifyFull ?? false;
      const synced = await syncFiles(input, context, source, target, full);
      const { files, manifest, totals } = synced;
      const rewritten = new Map(files.rewrites.map((rewrite) => [rewrite.file, rewrite.after]));
      // The sync listed the target once and left alone only what equals the source there; an
      // audit (`full`) lists and hashes the whole target again.
      const tree =
        synced.tree ?? (await compareTargetTree(input, context, manifest, rewritten, full, totals));
      if (!tree.ok) throw treeMismatch(input.target.name, tree.reason);
      const { digest, targetDigest, filesHashed } = tree;
      await save("synced", { files, targetTree: { digest, targetDigest, filesHashed, full } });
    };
    if (!reached(state, "restored")) {
      // The replicated databases catch up while the files sync (neither waits for the other),
      // and the frozen source's rows are counted meanwhile; the target's after its catch-up.
      const counting = countSources(hosts, replicated, signal);
      const catchingUp = async (one: Replicated): Promise<FinalDatabase> => {
        const earlier = caught(one.db.name);
        if (earlier) return earlier;
        const done = await catchUp(input, context, hosts, one);
        await save((state as CutoverCheckpoint).phase, { caughtUp: [...(state?.caughtUp ?? []), done] });
        return done;
      };
      const [synced, ...caughtUp] = await Promise.allSettled([syncing(), ...replicated.map(catchingUp)]);
      const sourceCounts = await counting;
      const failed = [synced, ...caughtUp, ...sourceCounts].find((one) => one.status === "rejected");
      if (failed) throw failed.reason;
      const databases = await moveDatabases({ ...input, databases: dumped }, context, source, target);
      for (const [i, one] of replicated.entries()) {
        const done = (caughtUp[i] as PromiseFulfilledResult<FinalDatabase>).value;
        const counted = (sourceCounts[i] as PromiseFulfilledResult<Record<string, number>>).value;
        databases.push(await verifyCounts(input, context, hosts, one, done, counted));
      }
      await save("restored", { databases });
    }
    // Verified, and nothing flows any more (the source is read-only): the replication is torn
    // down while the target starts and traffic switches. It is idempotent, so a retry or a
    // resumed run tears down again whatever is left.
    const tearingDown = teardownReplications(input, context, hosts, replicated).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    try {
      if (!reached(state, "started")) {
        // Before the target can take a write: where it can, it keeps them for a rollback.
        await reserveReverse(input, context, hosts, replicated, state as CutoverCheckpoint, (fields) =>
          save((state as CutoverCheckpoint).phase, fields),
        );
        // Start the target before traffic reaches it, so the switch never points at a stopped app.
        await startServices(target, input.services, signal);
        await save("started", { startedAt: context.now().toISOString() });
      }
      if (!reached(state, "switched")) {
        if (!reached(state, "switching")) await save("switching", {});
        const traffic = await switchTraffic(input, context, "target");
        await save("switched", { switchedAt: context.now().toISOString(), traffic });
      }
    } catch (error) {
      // Never two teardowns at once: the undo after this failure tears down too.
      await tearingDown;
      throw error;
    }
    const failed = await tearingDown;
    if (failed) throw failed.error;
    // Every phase is done: the checkpoint holds everything the outputs promise.
    const done = state as CutoverCheckpoint;
    return CutoverOutput.parse({
      frozenAt: done.frozenAt,
      switchedAt: done.switchedAt,
      traffic: done.traffic,
      ...done.files,
      databases: done.databases ?? [],
      ...(done.targetTree ? { targetTree: done.targetTree } : {}),
    });
  },
  async undo(input, context) {
    const { signal } = context;
    const source = await context.remote(input.source.name);
    const target = await context.remote(input.target.name);
    const hosts = { source, target };
    const { replicated } = splitDatabases(input, context);
    // Refused before anything changes when the target's writes would be left behind.
    await refuseDiscarding(input, context, hosts, replicated);
    // Replication first: the source must not be written while a subscription still follows it.
    await teardownReplications(input, context, hosts, replicated);
    // The target's writes back to the (still frozen) source while traffic still goes to the target.
    const carried = await carryBack(input, context, hosts, replicated);
    await freezeDatabases(input, context, hosts, replicated, "thaw");
    await startServices(source, input.services, signal);
    await switchTraffic(input, context, "source");
    await stopServices(target, input.services, signal);
    const back = new Set(carried.map((db) => db.name));
    await freezeDatabases(
      input,
      context,
      hosts,
      replicated.filter(({ db }) => back.has(db.name)),
      "thaw",
      "target",
    );
    await reportTargetWrites(
      context,
      target,
      replicated.filter(({ db }) => !back.has(db.name)),
    );
  },
};

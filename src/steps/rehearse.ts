/**
 * A rehearsal on the target, after snapshot, transfer and reconfigure ran without a freeze:
 * measure what the cutover's final sync would find (list and hash what changed on the source
 * since the snapshot, hash the target's tree, test the gateway's configuration), start the
 * target's services, run the verify checks against the target directly (rehearse-checks.ts), and
 * stop the services again — also when a check fails or the run is stopped (a replicated
 * database's target copy is read-only to clients meanwhile: it is a live subscriber); those that were
 * running before the rehearsal are started again, so the target is left as it was found. Nothing on the source or
 * the traffic path changes. Journaled as pseudo-step "rehearse"; the outputs carry the
 * measurements and the projected downtime (projection.ts).
 */
import { rm } from "node:fs/promises";
import { RemoteError } from "../errors.ts";
import { collectToFile } from "../manifest/collect-file.ts";
import { type ManifestEntry, totalBytes } from "../manifest/model.ts";
import { readEntries } from "../manifest/store.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { carryHashes } from "../transfer/delta.ts";
import { type CheckOutcome, runCheck } from "./checks.ts";
import type { RehearseOutput } from "./contracts.ts";
import { freezeDatabases, splitDatabases } from "./cutover-replication.ts";
import { countRows } from "./db/engines.ts";
import { hashChanged, metadataListing } from "./final-listings.ts";
import type { CheckInput, CutoverInput, VerifyInput } from "./inputs.ts";
import { projectDowntimeMs } from "./projection.ts";
import { dnsToTarget, proxiedToTarget, viaTrafficPath } from "./rehearse-checks.ts";
import { startServices, stopServices } from "./services.ts";
import { latestManifestFile, manifestPath, QUICK_MS, SERVICE_MS } from "./support.ts";
import { compareTargetTree } from "./target-tree.ts";
import { readRemoteFile } from "./traffic/proxy.ts";
import type { StepContext } from "./types.ts";

/** What a rehearsal is given: the workload's planned cutover and verify inputs. */
export interface RehearseInput {
  cutover: CutoverInput;
  verify: VerifyInput;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, Math.round(performance.now() - t0)];
}

/** What the final sync would list and hash now: changes on the source since the snapshot. */
async function probeDelta(input: CutoverInput, context: StepContext, source: Remote) {
  const { signal } = context;
  const snapshot = await latestManifestFile(context, ["snapshot"], input.workload);
  // Listed and compared as the final sync does (a sorted file on disk, merge-joined).
  const listed = await manifestPath(context, "rehearsal-listing");
  const [, listMs] = await timed(() =>
    collectToFile(
      source,
      input.paths,
      { ...metadataListing(context), rootLinks: "refuse" },
      listed,
      input.paths,
    ),
  );
  const needHash: string[] = [];
  const changed: ManifestEntry[] = [];
  for await (const entry of carryHashes(snapshot.entries(), readEntries(listed), needHash))
    if (entry.type === "file" && entry.hash === undefined) changed.push(entry);
  await rm(listed, { force: true });
  const [, hashMs] = await timed(() => hashChanged(source, needHash, changed, input.hash, signal));
  const rewritten = new Map(
    (context.outputsOf("reconfigure")?.rewrites ?? []).map((rewrite) => [rewrite.file, rewrite.after]),
  );
  // Timed only: files the source wrote during the transfer may differ; the final sync sends them.
  const [, treeMs] = await timed(() =>
    compareTargetTree(input, context, snapshot.file, rewritten, input.verifyFull ?? false),
  );
  return { listMs, hashMs, treeMs, changedFiles: changed.length, changedBytes: totalBytes(changed) };
}

async function inactive(target: Remote, services: readonly string[], signal: AbortSignal): Promise<string[]> {
  const down: string[] = [];
  for (const service of services) {
    const state = await target.run(sh`systemctl is-active --quiet ${service}`, {
      signal,
      timeoutMs: QUICK_MS,
    });
    if (state.exitCode !== 0) down.push(service);
  }
  return down;
}

/** The check as the target answers it; a reason instead when it cannot be sent there. */
async function targetCheck(
  input: RehearseInput,
  check: CheckInput,
  gatewayConfig: () => Promise<{ upstream: string; config: string }>,
): Promise<CheckInput | string> {
  if (check.kind !== "http" || !viaTrafficPath(check, input.cutover)) return check;
  if (input.cutover.traffic.strategy === "dns") {
    const requestUrl = dnsToTarget(check.requestUrl, input.cutover);
    return { ...check, url: `${check.url} → ${requestUrl}`, requestUrl };
  }
  const { upstream, config } = await gatewayConfig();
  const mapped = proxiedToTarget(check.requestUrl, input.cutover, upstream, config);
  // Named with where it went: the report shows the target was asked, not the gateway.
  return "url" in mapped
    ? { ...check, url: `${check.url} → ${mapped.url}`, requestUrl: mapped.url }
    : `http ${check.url}: ${mapped.reason}`;
}

/** Row counts on the target: at least the snapshot's (the source keeps writing meanwhile). */
async function rowCountCheck(
  context: StepContext,
  target: Remote,
  check: Extract<CheckInput, { kind: "rowCount" }>,
): Promise<CheckOutcome> {
  const name = `rowCount ${check.database}`;
  const snap = context.outputsOf("snapshot")?.databases.find((db) => db.name === check.database);
  if (!check.db || !snap) return { name, ok: false, reason: `${name}: no snapshot of ${check.database}` };
  const counts = await countRows(target, check.db, context.signal);
  const lookup = (table: string) => counts[table] ?? counts[`public.${table}`];
  const short = check.tables.filter((table) => {
    const want = snap.rowCounts[table] ?? snap.rowCounts[`public.${table}`] ?? 0;
    return (lookup(table) ?? -1) < want;
  });
  if (short.length > 0)
    return { name, ok: false, reason: `${name}: fewer rows than the snapshot in ${short.join(", ")}` };
  return { name, ok: true, detail: check.tables.map((table) => `${table}=${lookup(table)}`).join(" ") };
}

async function runChecks(
  input: RehearseInput,
  context: StepContext,
  target: Remote,
): Promise<CheckOutcome[]> {
  let gateway: Promise<{ upstream: string; config: string }> | undefined;
  const gatewayConfig = () => {
    const traffic = input.cutover.traffic;
    if (traffic.strategy !== "proxy") throw new TypeError("gateway config without a proxy switch");
    gateway ??= context.remote(traffic.gateway.name).then(async (remote) => ({
      upstream: (await readRemoteFile(remote, traffic.upstreamFile, context.signal)).toString("utf8"),
      config: (await remote.check(sh`nginx -T`, { signal: context.signal, timeoutMs: QUICK_MS })).stdout,
    }));
    return gateway;
  };
  const outcomes: CheckOutcome[] = [];
  for (const check of input.verify.checks) {
    if (check.kind === "rowCount") {
      outcomes.push(await rowCountCheck(context, target, check));
      continue;
    }
    const direct = await targetCheck(input, check, gatewayConfig);
    if (typeof direct === "string")
      outcomes.push({
        name: check.kind === "http" ? `http ${check.url}` : check.kind,
        ok: false,
        reason: direct,
      });
    else outcomes.push(await runCheck(input.verify, context, direct));
  }
  return outcomes;
}

async function databaseFigures(context: StepContext, target: Remote) {
  const dumps = (context.outputsOf("snapshot")?.databases ?? []).filter((db) => db.mode !== "replicate");
  const restores = context.outputsOf("reconfigure")?.databases ?? [];
  let dumpBytes = 0;
  for (const dump of dumps) {
    const size = await target.run(sh`stat -c %s -- ${dump.dumpFile}`, {
      signal: context.signal,
      timeoutMs: QUICK_MS,
    });
    dumpBytes += Number(size.stdout.trim()) || 0;
  }
  return {
    dumpMs: dumps.reduce((sum, db) => sum + (db.durationMs ?? 0), 0),
    dumpBytes,
    restoreMs: restores.reduce((sum, db) => sum + (db.durationMs ?? 0), 0),
  };
}

/** `nginx -t` on the gateway, timed: the part of a proxy switch a rehearsal may run. */
async function timeSwitchTest(input: CutoverInput, context: StepContext): Promise<number> {
  const traffic = input.traffic;
  if (traffic.strategy !== "proxy") return 0;
  const gateway = await context.remote(traffic.gateway.name);
  const [, ms] = await timed(() =>
    gateway.check(sh`nginx -t -q`, { signal: context.signal, timeoutMs: QUICK_MS }),
  );
  return ms;
}

export async function rehearseOnTarget(input: RehearseInput, context: StepContext): Promise<RehearseOutput> {
  const { cutover } = input;
  const source = await context.remote(cutover.source.name);
  const target = await context.remote(cutover.target.name);
  const delta = await probeDelta(cutover, context, source);
  const databases = await databaseFigures(context, target);
  const switchMs = await timeSwitchTest(cutover, context);
  const started = await inactive(target, cutover.services, context.signal);
  const running = cutover.services.filter((service) => !started.includes(service));
  // A replicated database on the target is a live subscriber: the services started below must
  // not write there (an UPDATE would silently diverge, a key conflict would stop the apply).
  const { replicated } = splitDatabases(cutover, context);
  const hosts = { source, target };
  let outcomes: CheckOutcome[] = [];
  let startMs = 0;
  let verifyMs = 0;
  let stopMs = 0;
  try {
    await freezeDatabases(cutover, context, hosts, replicated, "freeze", "target");
    for (const { db } of replicated)
      context.log.info(
        `${db.name} on ${cutover.target.name} is read-only to clients for the rehearsal; the replication keeps applying`,
      );
    [, startMs] = await timed(() => startServices(target, cutover.services, context.signal));
    context.log.info(`target services running for the rehearsal; checking ${cutover.target.name} directly`);
    [outcomes, verifyMs] = await timed(() => runChecks(input, context, target));
  } finally {
    // Stopped even after Ctrl-C: the rehearsal leaves the target as it found it. Every service
    // is stopped once (timed, as the freeze stops them on the source); those that ran before
    // the rehearsal are started again.
    const signal = context.signal.aborted ? AbortSignal.timeout(SERVICE_MS) : context.signal;
    [, stopMs] = await timed(() => stopServices(target, cutover.services, signal));
    // Writable again once nothing of the rehearsal runs; a crash before this leaves it read-only
    // until the cutover, which makes it writable before anything else (cutover.ts).
    await freezeDatabases(cutover, context, hosts, replicated, "thaw", "target", signal);
    await startServices(target, running, signal);
  }
  const failed = outcomes.find((outcome) => !outcome.ok);
  if (failed && !failed.ok) {
    throw new RemoteError(
      "verify",
      `rehearsal verify failed: ${failed.reason}`,
      { host: cutover.target.name, command: `check: ${failed.name}`, exitCode: null },
      {
        retryable: false,
        hint: "nothing was switched and the services started for the rehearsal were stopped; fix the target and rehearse again",
      },
    );
  }
  const transfer = context.outputsOf("transfer");
  const measured = {
    ...delta,
    transferBps: transfer && transfer.bytesSent > 0 ? Math.round(transfer.averageBps) : 0,
    ...databases,
    startMs,
    verifyMs,
    stopMs,
    switchMs,
  };
  const checks = outcomes.map((outcome) => ({
    name: outcome.name,
    ok: outcome.ok,
    ...(outcome.ok && outcome.detail ? { detail: outcome.detail } : {}),
  }));
  return { started, checks, measured, projectedDowntimeMs: projectDowntimeMs(measured) };
}

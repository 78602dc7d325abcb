/**
 * Ending a workload's migration for good, after sign-off (`migrate finalize`): the source's
 * services are disabled (stopped and kept from starting at boot; their units and files are never
 * deleted), the staging directory is removed on both hosts (it held the dumps and the backups a
 * rollback restores from), and replication users and slots the journal names are dropped.
 * Idempotent: disabling a disabled unit and removing a missing directory succeed.
 */
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { ReplicationStateRecord } from "./contracts.ts";
import type { DatabaseInput, HostRef } from "./inputs.ts";
import { engineOf, replicationContext } from "./replicate.ts";
import { STAGING_ROOT } from "./staging.ts";
import { QUICK_MS, SERVICE_MS } from "./support.ts";

export interface FinalizeInput {
  workload: string;
  source: string;
  target: string;
  services: readonly string[];
  /** The workload's staging directory, the same path on both hosts (staging.ts). */
  stagingDir: string;
}

export interface FinalizeOutcome {
  servicesDisabled: string[];
  stagingRemoved: string[];
}

export async function finalizeHosts(
  input: FinalizeInput,
  remote: (host: string) => Promise<Remote>,
  signal: AbortSignal,
): Promise<FinalizeOutcome> {
  // A staging path outside the root (a bug upstream) must never become an rm -rf.
  if (!input.stagingDir.startsWith(`${STAGING_ROOT}/`) || input.stagingDir.includes("/../"))
    throw new TypeError(`finalize: staging directory ${input.stagingDir} is not under ${STAGING_ROOT}`);
  const source = await remote(input.source);
  for (const service of input.services)
    await source.check(sh`systemctl disable --now ${service}`, { signal, timeoutMs: SERVICE_MS });
  const removed: string[] = [];
  for (const host of [...new Set([input.source, input.target])]) {
    const remoteHost = host === input.source ? source : await remote(host);
    await remoteHost.check(sh`rm -rf -- ${input.stagingDir}`, { signal, timeoutMs: QUICK_MS });
    removed.push(host);
  }
  return { servicesDisabled: [...input.services], stagingRemoved: removed };
}

/**
 * Every replication `states` names (the journal's, cutover or not) torn down where any of its
 * objects still exists: what a crash or an interrupted teardown left. Returns what existed and
 * was dropped (`tax_collection: slot migrate_sub_…`); empty when the cutover had dropped it all.
 */
export async function dropReplications(
  databases: readonly DatabaseInput[],
  states: Readonly<Record<string, ReplicationStateRecord>>,
  hosts: { source: Remote; target: Remote; sourceHost: HostRef },
  signal: AbortSignal,
): Promise<string[]> {
  const dropped: string[] = [];
  for (const db of databases) {
    const state = states[db.name];
    if (!state) continue;
    const ctx = await replicationContext(db, hosts.source, hosts.target, hosts.sourceHost, state, signal, {
      tunnel: false,
    });
    const present = await engineOf(db).present(ctx, state);
    if (present.length === 0) continue;
    await engineOf(db).teardown(ctx, state);
    dropped.push(...present.map((object) => `${db.name}: ${object}`));
  }
  return dropped;
}

/**
 * The actions of snapshot, transfer, reconfigure and verify (pure), described from the step
 * inputs in the order the steps in src/steps carry them out. Cutover is in plan-cutover.ts.
 */
import { formatBytes } from "../../plan/bytes.ts";
import type { InventoryFacts } from "../../plan/inventory-facts.ts";
import { type ShellCommand, sh } from "../../remote/shell.ts";
import { engineFor } from "../../steps/db/engines.ts";
import type { CheckInput, DatabaseInput, StepInputs } from "../../steps/inputs.ts";
import type {
  Action,
  CheckAction,
  DatabaseRef,
  ReplicateAction,
  RewriteAction,
  SyncAction,
} from "./plan-actions.ts";

/** A workload's step inputs and what else the description may show (inventory sizes). */
export interface Described {
  inputs: StepInputs;
  inventory?: InventoryFacts;
}

export function dbRef(db: DatabaseInput): DatabaseRef {
  const ref: DatabaseRef = { engine: db.engine, database: db.name };
  if (db.user !== undefined) ref.user = db.user;
  if (db.port !== undefined) ref.port = db.port;
  if (db.passwordEnv !== undefined) ref.passwordEnv = db.passwordEnv;
  return ref;
}

/** The dump command the steps run (engines.ts); its output goes to the dump file. */
export function dumpCommand(db: DatabaseInput): ShellCommand {
  return engineFor(db).dump(db);
}

/** The restore command the steps run (engines.ts) for a dump file. */
export function restoreCommand(db: DatabaseInput, file: string): ShellCommand {
  return engineFor(db).restore(db, file);
}

function sizeOf(described: Described, path: string): { bytes: number; files: number } | undefined {
  return described.inventory?.hosts[described.inputs.snapshot.source.name]?.paths?.[path];
}

function sizeText(size: { bytes: number; files: number } | undefined): string {
  return size ? ` (${formatBytes(size.bytes)}, ${size.files} files)` : "";
}

/** Rewritten files under `dir`: they differ from the source on purpose. */
export function rewrittenUnder(files: readonly string[], dir: string): string[] {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return files.filter((file) => file === dir || file.startsWith(base));
}

export function rewriteActions(described: Described, phase: RewriteAction["phase"]): RewriteAction[] {
  const { rewrites, target } = phase === "final" ? described.inputs.cutover : described.inputs.reconfigure;
  return rewrites.map(({ file, replace }) => {
    const pairs = Object.entries(replace)
      .map(([from, to]) => `${from} -> ${to}`)
      .join(", ");
    const what =
      phase === "final" ? `rewrite ${file} again if the final sync replaced it` : `rewrite ${file}`;
    return {
      type: "rewrite",
      host: target.name,
      file,
      replace: { ...replace },
      phase,
      summary: `${what} on ${target.name}: ${pairs}`,
    };
  });
}

export function pathSyncs(described: Described, phase: SyncAction["phase"]): SyncAction[] {
  const { source, target, paths } = phase === "final" ? described.inputs.cutover : described.inputs.transfer;
  return paths.map((path) => {
    const size = phase === "initial" ? sizeOf(described, path) : undefined;
    const summary =
      phase === "initial"
        ? `copy ${path} ${source.name} -> ${target.name} in verified tar batches${sizeText(size)}; the target will be checked first and what it already holds (digest verified there) is not sent`
        : `final sync ${path} ${source.name} -> ${target.name}: send what changed since the snapshot, delete what the source no longer has`;
    const action: SyncAction = {
      type: "sync",
      from: source.name,
      to: target.name,
      path,
      tool: "tar",
      phase,
      summary,
    };
    if (size) Object.assign(action, size);
    return action;
  });
}

const REPLICATE_SUMMARY: Record<ReplicateAction["phase"], string> = {
  preflight:
    "check on both hosts that it can replicate (wal_level, a free slot and sender, a key on every table, no large objects, target version)",
  start:
    "create a replication user and a publication on the source, copy the schema (pg_dump --schema-only), subscribe the target with copy_data through an SSH tunnel migrate holds, wait for the initial copy",
  "catch-up":
    "make the source database read-only, wait until the target applied the source's position, set sequences, require equal row counts per table; after the switch drop the subscription, slot, publication and replication user",
};

/** One phase of a replicated database's move (the dump actions' counterpart). */
export function replicateAction(
  described: Described,
  db: DatabaseInput,
  phase: ReplicateAction["phase"],
): ReplicateAction {
  const { source, target } = described.inputs.cutover;
  const fallback =
    phase === "preflight"
      ? db.modeAsked
        ? "; a blocking finding refuses apply (exit code 6)"
        : "; a blocking finding moves it by dump instead (dumped, restored, and again under the freeze)"
      : "";
  return {
    type: "replicate",
    phase,
    from: source.name,
    to: target.name,
    ...dbRef(db),
    reason: db.modeReason,
    summary: `replicate ${db.engine} database ${db.name} ${source.name} -> ${target.name} (${phase}): ${REPLICATE_SUMMARY[phase]}${fallback}`,
  };
}

export function snapshotActions(described: Described): Action[] {
  const { source, target, paths, hash, databases } = described.inputs.snapshot;
  const manifests: Action[] = paths.map((path) => {
    const size = sizeOf(described, path);
    return {
      type: "manifest",
      host: source.name,
      path,
      hash,
      ...size,
      summary: `record ${hash} manifest of ${path} on ${source.name}${sizeText(size)}`,
    };
  });
  const preHashes: Action[] = paths.map((path) => ({
    type: "pre-hash",
    host: target.name,
    path,
    hash,
    summary: `pre-hash target ${path} on ${target.name} (${hash}, read-only, beside the source's manifest): evidence for the transfer's in-place check; nothing there is skipped`,
  }));
  const dumps: Action[] = databases.map((db) => {
    if (db.mode === "replicate") return replicateAction(described, db, "preflight");
    const command = dumpCommand(db);
    return {
      type: "dump",
      host: source.name,
      ...dbRef(db),
      tool: command.text,
      file: db.dumpFile,
      summary: `dump ${db.engine} database ${db.name} on ${source.name}: ${sh`${command} > ${db.dumpFile}`.text}, counting rows per table in the dump's own snapshot`,
    };
  });
  return [...manifests, ...preHashes, ...dumps];
}

export function transferActions(described: Described): Action[] {
  const { source, target } = described.inputs.transfer;
  const dumped = described.inputs.snapshot.databases.filter((db) => db.mode === "dump");
  const dumps: SyncAction[] = dumped.map((db) => ({
    type: "sync",
    from: source.name,
    to: target.name,
    path: db.dumpFile,
    tool: "tar",
    phase: "initial",
    summary: `copy dump ${db.dumpFile} ${source.name} -> ${target.name}`,
  }));
  return [...pathSyncs(described, "initial"), ...dumps];
}

export function reconfigureActions(described: Described): Action[] {
  const { target, commands, databases } = described.inputs.reconfigure;
  const runs: Action[] = commands.map((run) => ({
    type: "command",
    host: target.name,
    run,
    summary: `run on ${target.name}: ${run}`,
  }));
  const restores: Action[] = databases.map((db) => {
    if (db.mode === "replicate") return replicateAction(described, db, "start");
    const tool = restoreCommand(db, db.dumpFile).text;
    return {
      type: "restore",
      host: target.name,
      ...dbRef(db),
      tool,
      file: db.dumpFile,
      rowCounts: "at-least-source",
      summary: `restore ${db.engine} database ${db.name} on ${target.name}: ${tool}; every table must have at least the source's rows`,
    };
  });
  return [...rewriteActions(described, "initial"), ...runs, ...restores];
}

function checkAction(check: CheckInput, described: Described): CheckAction {
  const { source, target } = described.inputs.verify;
  switch (check.kind) {
    case "http": {
      const { url, status, contains, from } = check;
      const spec: CheckAction["check"] = { kind: "http", url, status };
      if (contains !== undefined) spec.contains = contains;
      if (from !== undefined) spec.from = from;
      const body = contains !== undefined ? ` containing ${JSON.stringify(contains)}` : "";
      return {
        type: "check",
        check: spec,
        summary: `GET ${url} from ${from ?? "the orchestrator"} expects ${status}${body}`,
      };
    }
    case "tcp":
      return {
        type: "check",
        check: { kind: "tcp", host: check.host.name, port: check.port },
        summary: `TCP connect ${check.host.name}:${check.port}`,
      };
    case "rowCount": {
      const { database, tables, db } = check;
      const ref = db ? dbRef(db) : { engine: "postgresql" as const, database };
      return {
        type: "check",
        check: { kind: "rowCount", ...ref, tables: [...tables], source: source.name, target: target.name },
        summary: `row counts of ${tables.join(", ")} in ${database} equal on ${source.name} and ${target.name}`,
      };
    }
    case "command":
      return {
        type: "check",
        check: { kind: "command", host: check.host, run: check.run },
        summary: `run on ${check.host}: ${check.run} (must exit 0)`,
      };
  }
}

export function verifyActions(described: Described): Action[] {
  const { target, paths, hash, checks } = described.inputs.verify;
  const files = described.inputs.reconfigure.rewrites.map((rewrite) => rewrite.file);
  const manifests: Action[] = paths.map((path) => {
    const rewritten = rewrittenUnder(files, path);
    const note =
      rewritten.length > 0 ? `; rewritten ${rewritten.join(", ")} must hold the rewritten content` : "";
    return {
      type: "manifest-verify",
      host: target.name,
      path,
      hash,
      rewritten,
      summary: `hash ${path} on ${target.name} (${hash}) and compare with the source's final manifest${note}`,
    };
  });
  return [...checks.map((check) => checkAction(check, described)), ...manifests];
}

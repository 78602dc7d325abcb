/**
 * The actions of snapshot, transfer, reconfigure and verify (pure), in the order the steps in
 * src/steps carry them out. Cutover is in plan-cutover.ts.
 */
import { formatBytes } from "../plan/bytes.ts";
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import type { Check, Database, Host, Plan, Workload } from "../plan/schema.ts";
import type { Action, CheckAction, DatabaseRef, RewriteAction, SyncAction } from "./plan-actions.ts";
import { DUMP_TOOLS, RESTORE_TOOLS, STAGING_ROOT } from "./plan-actions.ts";

export interface StepInputs {
  plan: Plan;
  workload: Workload;
  source: Host;
  target: Host;
  hosts: ReadonlyMap<string, Host>;
  inventory?: InventoryFacts;
}

/** The workload's scratch directory on source and target (dumps, rewrite backups). */
export function stagingDir(workload: Workload): string {
  return `${STAGING_ROOT}/${workload.name}`;
}

export function dumpFile(workload: Workload, db: Database, phase: "initial" | "final"): string {
  return `${stagingDir(workload)}/${db.engine}-${db.name}${phase === "final" ? ".final" : ""}.dump`;
}

export function dbRef(db: Database): DatabaseRef {
  const ref: DatabaseRef = { engine: db.engine, database: db.name };
  if (db.user !== undefined) ref.user = db.user;
  if (db.port !== undefined) ref.port = db.port;
  if (db.passwordEnv !== undefined) ref.passwordEnv = db.passwordEnv;
  return ref;
}

function sizeOf(inputs: StepInputs, path: string): { bytes: number; files: number } | undefined {
  return inputs.inventory?.hosts[inputs.workload.source]?.paths?.[path];
}

function sizeText(size: { bytes: number; files: number } | undefined): string {
  return size ? ` (${formatBytes(size.bytes)}, ${size.files} files)` : "";
}

/** Rewritten files under `dir`: they differ from the source on purpose. */
export function rewrittenUnder(workload: Workload, dir: string): string[] {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return workload.rewrite.flatMap((r) => r.files).filter((file) => file === dir || file.startsWith(base));
}

export function rewriteActions(inputs: StepInputs, phase: RewriteAction["phase"]): RewriteAction[] {
  const { workload, target } = inputs;
  return workload.rewrite.flatMap((rewrite) =>
    rewrite.files.map((file) => {
      const pairs = Object.entries(rewrite.replace)
        .map(([from, to]) => `${from} -> ${to}`)
        .join(", ");
      const what =
        phase === "final" ? `rewrite ${file} again if the final sync replaced it` : `rewrite ${file}`;
      return {
        type: "rewrite",
        host: target.name,
        file,
        replace: { ...rewrite.replace },
        phase,
        summary: `${what} on ${target.name}: ${pairs}`,
      };
    }),
  );
}

export function pathSyncs(inputs: StepInputs, phase: SyncAction["phase"]): SyncAction[] {
  const { source, target } = inputs;
  return inputs.workload.paths.map((path) => {
    const size = phase === "initial" ? sizeOf(inputs, path) : undefined;
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

export function snapshotActions(inputs: StepInputs): Action[] {
  const { workload, source } = inputs;
  const manifests: Action[] = workload.paths.map((path) => {
    const size = sizeOf(inputs, path);
    return {
      type: "manifest",
      host: source.name,
      path,
      hash: workload.hash,
      ...size,
      summary: `record ${workload.hash} manifest of ${path} on ${source.name}${sizeText(size)}`,
    };
  });
  const dumps: Action[] = workload.databases.map((db) => {
    const file = dumpFile(workload, db, "initial");
    const tool = DUMP_TOOLS[db.engine];
    return {
      type: "dump",
      host: source.name,
      ...dbRef(db),
      tool,
      file,
      summary: `dump ${db.engine} database ${db.name} on ${source.name} with ${tool.split(" ")[0]} to ${file}, counting rows per table`,
    };
  });
  return [...manifests, ...dumps];
}

export function transferActions(inputs: StepInputs): Action[] {
  const { workload, source, target } = inputs;
  const dumps: SyncAction[] = workload.databases.map((db) => {
    const path = dumpFile(workload, db, "initial");
    return {
      type: "sync",
      from: source.name,
      to: target.name,
      path,
      tool: "tar",
      phase: "initial",
      summary: `copy dump ${path} ${source.name} -> ${target.name}`,
    };
  });
  return [...pathSyncs(inputs, "initial"), ...dumps];
}

export function reconfigureActions(inputs: StepInputs): Action[] {
  const { workload, target } = inputs;
  const commands: Action[] = workload.commands.map((run) => ({
    type: "command",
    host: target.name,
    run,
    summary: `run on ${target.name}: ${run}`,
  }));
  const restores: Action[] = workload.databases.map((db) => {
    const tool = RESTORE_TOOLS[db.engine];
    return {
      type: "restore",
      host: target.name,
      ...dbRef(db),
      tool,
      file: dumpFile(workload, db, "initial"),
      rowCounts: "at-least-source",
      summary: `restore ${db.engine} database ${db.name} on ${target.name} with ${tool.split(" ")[0]}; every table must have at least the source's rows`,
    };
  });
  return [...rewriteActions(inputs, "initial"), ...commands, ...restores];
}

function checkAction(check: Check, inputs: StepInputs): CheckAction {
  if ("http" in check) {
    const { url, status, contains, from } = check.http;
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
  if ("tcp" in check) {
    return {
      type: "check",
      check: { kind: "tcp", ...check.tcp },
      summary: `TCP connect ${check.tcp.host}:${check.tcp.port}`,
    };
  }
  if ("rowCount" in check) {
    const { database, tables } = check.rowCount;
    const db = inputs.workload.databases.find((d) => d.name === database);
    const ref = db ? dbRef(db) : { engine: "postgresql" as const, database };
    return {
      type: "check",
      check: {
        kind: "rowCount",
        ...ref,
        tables: [...tables],
        source: inputs.source.name,
        target: inputs.target.name,
      },
      summary: `row counts of ${tables.join(", ")} in ${database} equal on ${inputs.source.name} and ${inputs.target.name}`,
    };
  }
  return {
    type: "check",
    check: { kind: "command", ...check.command },
    summary: `run on ${check.command.host}: ${check.command.run} (must exit 0)`,
  };
}

export function verifyActions(inputs: StepInputs): Action[] {
  const { workload, target } = inputs;
  const manifests: Action[] = workload.paths.map((path) => {
    const rewritten = rewrittenUnder(workload, path);
    const note =
      rewritten.length > 0 ? `; rewritten ${rewritten.join(", ")} must hold the rewritten content` : "";
    return {
      type: "manifest-verify",
      host: target.name,
      path,
      hash: workload.hash,
      rewritten,
      summary: `hash ${path} on ${target.name} (${workload.hash}) and compare with the source's final manifest${note}`,
    };
  });
  return [...workload.verify.map((check) => checkAction(check, inputs)), ...manifests];
}

/**
 * The actions of each of a workload's five steps (pure). The order of actions within a step is
 * the order apply performs them.
 */
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import type { Check, Database, Host, Plan, Workload } from "../plan/schema.ts";
import type {
  Action,
  CheckAction,
  DatabaseRef,
  DumpAction,
  FreezeAction,
  RestoreAction,
  ServicesAction,
  SyncAction,
} from "./plan-actions.ts";
import { STAGING_ROOT } from "./plan-actions.ts";

export interface StepInputs {
  plan: Plan;
  workload: Workload;
  source: Host;
  target: Host;
  hosts: ReadonlyMap<string, Host>;
  inventory?: InventoryFacts;
}

export function stagingDir(plan: Plan, workload: Workload): string {
  return `${STAGING_ROOT}/${plan.metadata.name}/${workload.name}`;
}

function dumpFile(plan: Plan, workload: Workload, db: Database): string {
  return `${stagingDir(plan, workload)}/${db.engine}-${db.name}.${db.engine === "postgresql" ? "dump" : "sql"}`;
}

function dbRef(db: Database): DatabaseRef {
  const ref: DatabaseRef = { engine: db.engine, database: db.name };
  if (db.user !== undefined) ref.user = db.user;
  if (db.port !== undefined) ref.port = db.port;
  if (db.passwordEnv !== undefined) ref.passwordEnv = db.passwordEnv;
  return ref;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** Rewritten files under `dir`: they differ from the source on purpose after reconfigure. */
function rewrittenUnder(workload: Workload, dir: string): string[] {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return workload.rewrite.flatMap((r) => r.files).filter((file) => file === dir || file.startsWith(base));
}

function sizeOf(inputs: StepInputs, path: string): { bytes: number; files: number } | undefined {
  return inputs.inventory?.hosts[inputs.workload.source]?.paths?.[path];
}

function sizeText(size: { bytes: number; files: number } | undefined): string {
  return size ? ` (${formatBytes(size.bytes)}, ${size.files} files)` : "";
}

function dumps(inputs: StepInputs, phase: DumpAction["phase"]): DumpAction[] {
  const { plan, workload, source } = inputs;
  return workload.databases.map((db) => {
    const tool = db.engine === "postgresql" ? "pg_dump -Fc" : "mysqldump --single-transaction";
    const file = dumpFile(plan, workload, db);
    return {
      type: "dump",
      host: source.name,
      ...dbRef(db),
      tool,
      file,
      phase,
      summary: `dump ${db.engine} database ${db.name} on ${source.name} with ${tool} to ${file}`,
    };
  });
}

/** The staging directory holding this workload's dumps, if it has databases. */
function staging(inputs: StepInputs): string[] {
  return inputs.workload.databases.length > 0 ? [stagingDir(inputs.plan, inputs.workload)] : [];
}

function syncs(inputs: StepInputs, phase: SyncAction["phase"], paths: readonly string[]): SyncAction[] {
  const { plan, source, target } = inputs;
  const bandwidth = plan.defaults.bandwidth;
  return paths.map((path) => {
    const size = sizeOf(inputs, path);
    const exclude = phase === "final" ? rewrittenUnder(inputs.workload, path) : [];
    const keep = exclude.length > 0 ? `, keeping rewritten ${exclude.join(", ")}` : "";
    const action: SyncAction = {
      type: "sync",
      from: source.name,
      to: target.name,
      path,
      tool: "rsync",
      phase,
      exclude,
      summary: `${phase === "final" ? "final sync" : "copy"} ${path} ${source.name} -> ${target.name} with rsync${bandwidth ? ` at ${bandwidth}` : ""}${sizeText(size)}${keep}`,
    };
    if (bandwidth !== undefined) action.bandwidth = bandwidth;
    if (size) Object.assign(action, size);
    return action;
  });
}

function restores(inputs: StepInputs, phase: RestoreAction["phase"]): RestoreAction[] {
  const { plan, workload, target } = inputs;
  return workload.databases.map((db) => {
    const tool = db.engine === "postgresql" ? "pg_restore --clean --if-exists" : "mysql";
    return {
      type: "restore",
      host: target.name,
      ...dbRef(db),
      tool,
      file: dumpFile(plan, workload, db),
      phase,
      summary: `restore ${db.engine} database ${db.name} on ${target.name} with ${tool}`,
    };
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
  return [...manifests, ...dumps(inputs, "initial")];
}

export function transferActions(inputs: StepInputs): Action[] {
  const paths = [...inputs.workload.paths, ...staging(inputs)];
  return [...syncs(inputs, "initial", paths), ...restores(inputs, "initial")];
}

export function reconfigureActions(inputs: StepInputs): Action[] {
  const { workload, target } = inputs;
  const rewrites: Action[] = workload.rewrite.flatMap((rewrite) =>
    rewrite.files.map((file) => ({
      type: "rewrite" as const,
      host: target.name,
      file,
      replace: { ...rewrite.replace },
      summary: `rewrite ${file} on ${target.name}: ${Object.entries(rewrite.replace)
        .map(([from, to]) => `${from} -> ${to}`)
        .join(", ")}`,
    })),
  );
  const commands: Action[] = workload.commands.map((run) => ({
    type: "command",
    host: target.name,
    run,
    summary: `run on ${target.name}: ${run}`,
  }));
  return [...rewrites, ...commands];
}

function services(
  type: "start" | "stop",
  host: string,
  list: string[],
  undo?: ServicesAction,
): ServicesAction {
  const action: ServicesAction = {
    type,
    host,
    services: list,
    summary: `${type} ${list.join(", ")} on ${host}`,
  };
  if (undo) action.undo = undo;
  return action;
}

function switchActions(inputs: StepInputs): Action[] {
  const { workload, source, target, hosts } = inputs;
  const cutover = workload.cutover;
  if (cutover === undefined) return [];
  if (cutover.strategy === "proxy") {
    const from = `${source.address}:${cutover.upstreamPort}`;
    const to = `${target.address}:${cutover.upstreamPort}`;
    const base = {
      type: "proxy-switch" as const,
      gateway: cutover.gateway,
      upstreamFile: cutover.upstreamFile,
    };
    const gatewayAddress = hosts.get(cutover.gateway)?.address ?? cutover.gateway;
    return [
      {
        ...base,
        from,
        to,
        summary: `switch nginx upstream in ${cutover.upstreamFile} on ${cutover.gateway} (${gatewayAddress}) from ${from} to ${to}, test and reload`,
        undo: {
          ...base,
          from: to,
          to: from,
          summary: `switch ${cutover.upstreamFile} on ${cutover.gateway} back to ${from} and reload`,
        },
      },
    ];
  }
  if (cutover.strategy === "dns") {
    const base = {
      type: "dns-switch" as const,
      server: cutover.server,
      zone: cutover.zone,
      record: cutover.record,
      ttl: cutover.ttl,
    };
    const withKey = cutover.keyFile === undefined ? base : { ...base, keyFile: cutover.keyFile };
    return [
      {
        ...withKey,
        from: source.address,
        to: target.address,
        summary: `nsupdate ${cutover.record} in ${cutover.zone} at ${cutover.server}: ${source.address} -> ${target.address} (ttl ${cutover.ttl}s)`,
        undo: {
          ...withKey,
          from: target.address,
          to: source.address,
          summary: `nsupdate ${cutover.record} back to ${source.address}`,
        },
      },
    ];
  }
  return [
    {
      type: "command",
      host: cutover.host,
      run: cutover.run,
      summary: `run on ${cutover.host}: ${cutover.run}`,
      undo: {
        type: "command",
        host: cutover.host,
        run: cutover.undo,
        summary: `run on ${cutover.host}: ${cutover.undo}`,
      },
    },
  ];
}

export function cutoverActions(inputs: StepInputs): Action[] {
  const { workload, source, target } = inputs;
  const actions: Action[] = [];
  if (workload.services.length > 0) {
    const freeze: FreezeAction = {
      type: "freeze",
      host: source.name,
      services: [...workload.services],
      summary: `freeze: stop ${workload.services.join(", ")} on ${source.name}`,
      undo: services("start", source.name, workload.services),
    };
    actions.push(freeze);
  }
  // Files first, then fresh dumps taken after the freeze, then those dumps.
  actions.push(
    ...syncs(inputs, "final", workload.paths),
    ...dumps(inputs, "final"),
    ...syncs(inputs, "final", staging(inputs)),
  );
  actions.push(...restores(inputs, "final"));
  if (workload.services.length > 0) {
    actions.push(
      services("start", target.name, workload.services, services("stop", target.name, workload.services)),
    );
  }
  actions.push(...switchActions(inputs));
  return actions;
}

function checkAction(check: Check, inputs: StepInputs): CheckAction {
  if ("http" in check) {
    const { url, status, contains, from } = check.http;
    const spec: CheckAction["check"] = { kind: "http", url, status };
    if (contains !== undefined) spec.contains = contains;
    if (from !== undefined) spec.from = from;
    const text = `GET ${url} from ${from ?? "the orchestrator"} expects ${status}${contains !== undefined ? ` containing ${JSON.stringify(contains)}` : ""}`;
    return { type: "check", check: spec, summary: text };
  }
  if ("tcp" in check) {
    return {
      type: "check",
      check: { kind: "tcp", ...check.tcp },
      summary: `TCP connect ${check.tcp.host}:${check.tcp.port}`,
    };
  }
  if ("rowCount" in check) {
    const db = inputs.workload.databases.find((d) => d.name === check.rowCount.database);
    const spec = {
      kind: "rowCount" as const,
      ...(db ? dbRef(db) : { engine: "postgresql" as const, database: check.rowCount.database }),
      tables: [...check.rowCount.tables],
      source: inputs.source.name,
      target: inputs.target.name,
    };
    return {
      type: "check",
      check: spec,
      summary: `row counts of ${check.rowCount.tables.join(", ")} in ${check.rowCount.database} equal on ${inputs.source.name} and ${inputs.target.name}`,
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
    const exclude = rewrittenUnder(workload, path);
    const except = exclude.length > 0 ? ` except rewritten ${exclude.join(", ")}` : "";
    return {
      type: "manifest-verify",
      host: target.name,
      path,
      hash: workload.hash,
      exclude,
      summary: `compare ${path} on ${target.name} with the snapshot manifest (${workload.hash})${except}`,
    };
  });
  return [...manifests, ...workload.verify.map((check) => checkAction(check, inputs))];
}

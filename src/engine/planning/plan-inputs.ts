/**
 * plan → step inputs (pure): everything each step of a workload needs, derived once from the
 * validated plan. The run plan carries these inputs, `migrate plan --json` prints them, the
 * actions describe them, and apply hands each step its own — so what is shown is what runs.
 */
import type { Check, Database, Host, Workload } from "../../plan/schema.ts";
import { verifyChecks, verifyFull } from "../../plan/verify-checks.ts";
import { replicatesByDefault } from "../../steps/db/replication/engines.ts";
import type {
  CheckInput,
  DatabaseInput,
  HostRef,
  RewriteInput,
  StepInputs,
  TrafficSwitch,
} from "../../steps/inputs.ts";

import { dumpFiles, stagingDir } from "../../steps/staging.ts";

/** A plan host as a step sees it; a name the plan does not know (validation refuses it) stays as written. */
function hostRef(hosts: ReadonlyMap<string, Host>, name: string): HostRef {
  return { name, address: hosts.get(name)?.address ?? name };
}

/** The plan's mode, or the default: replicate where this build has the engine's replication. */
function databaseMode(db: Database): Pick<DatabaseInput, "mode" | "modeReason" | "modeAsked"> {
  if (db.mode !== undefined) return { mode: db.mode, modeReason: "asked for in the plan", modeAsked: true };
  if (replicatesByDefault(db.engine)) {
    return {
      mode: "replicate",
      modeReason: `default for ${db.engine}; apply moves it by dump instead if the replication preflight blocks`,
      modeAsked: false,
    };
  }
  return {
    mode: "dump",
    modeReason: `default for ${db.engine}: its freeze (read_only) stops the whole server, so set mode: replicate to choose it`,
    modeAsked: false,
  };
}

function databaseInput(staging: string, db: Database): DatabaseInput {
  return { ...db, ...dumpFiles(staging, db), ...databaseMode(db) };
}

function trafficSwitch(workload: Workload, hosts: ReadonlyMap<string, Host>): TrafficSwitch {
  const cutover = workload.cutover;
  if (cutover === undefined) return { strategy: "none" };
  if (cutover.strategy === "proxy") return { ...cutover, gateway: hostRef(hosts, cutover.gateway) };
  return { ...cutover };
}

/**
 * A URL naming a plan host by name is requested at that host's address. Every URL is requested
 * in its normalized form (spaces, quotes and backticks percent-encoded), as curl and fetch need.
 */
export function requestUrl(url: string, hosts: ReadonlyMap<string, Host>): string {
  const parsed = new URL(url);
  const host = hosts.get(parsed.hostname);
  if (host) parsed.hostname = host.address;
  return parsed.toString();
}

function checkInput(check: Check, databases: DatabaseInput[], hosts: ReadonlyMap<string, Host>): CheckInput {
  if ("http" in check) {
    const { url, status, contains, from } = check.http;
    const input: CheckInput = { kind: "http", url, requestUrl: requestUrl(url, hosts), status };
    if (contains !== undefined) input.contains = contains;
    if (from !== undefined) input.from = from;
    return input;
  }
  if ("tcp" in check) return { kind: "tcp", host: hostRef(hosts, check.tcp.host), port: check.tcp.port };
  if ("rowCount" in check) {
    const { database, tables } = check.rowCount;
    const db = databases.find((d) => d.name === database);
    return { kind: "rowCount", database, tables: [...tables], ...(db ? { db } : {}) };
  }
  return { kind: "command", host: check.command.host, run: check.command.run };
}

/** The five steps' inputs of one workload (its hosts must be in `hosts`: validate the plan first). */
export function workloadInputs(workload: Workload, hosts: ReadonlyMap<string, Host>): StepInputs {
  const name = workload.name;
  const source = hostRef(hosts, workload.source);
  const target = hostRef(hosts, workload.target);
  const staging = stagingDir(name);
  const paths = [...workload.paths];
  const hash = workload.hash;
  const databases = workload.databases.map((db) => databaseInput(staging, db));
  const rewrites: RewriteInput[] = workload.rewrite.flatMap((rule) =>
    rule.files.map((file) => ({ file, replace: { ...rule.replace } })),
  );
  return {
    snapshot: { workload: name, source, target, paths, hash, stagingDir: staging, databases },
    transfer: { workload: name, source, target, paths, hash, stagingDir: staging },
    reconfigure: {
      workload: name,
      source,
      target,
      stagingDir: staging,
      rewrites,
      commands: [...workload.commands],
      databases,
    },
    cutover: {
      workload: name,
      source,
      target,
      paths,
      hash,
      stagingDir: staging,
      services: [...workload.services],
      rewrites,
      databases,
      traffic: trafficSwitch(workload, hosts),
      ...(verifyFull(workload) ? { verifyFull: true } : {}),
    },
    verify: {
      workload: name,
      source,
      target,
      paths,
      hash,
      checks: verifyChecks(workload).map((check) => checkInput(check, databases, hosts)),
    },
  };
}

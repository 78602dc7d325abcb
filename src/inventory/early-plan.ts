/**
 * The plan's hosts and workload paths read straight from its YAML before the plan is validated,
 * so inventory (read-only) can connect and collect while validation runs. The validated plan
 * still decides: early results are used only when it asks exactly the same (sameTargets).
 * Anything not plainly well-formed yields nothing early.
 */
import { parse } from "yaml";
import type { Auth, Database, Host } from "../plan/schema.ts";
import type { TargetPlan } from "./targets.ts";

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string" && value !== "";
const optionalText = (value: unknown) => value === undefined || isText(value);
const isPort = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value);

function authOf(value: unknown): Auth | undefined {
  if (!isObject(value)) return undefined;
  if (value.agent === true && Object.keys(value).length === 1) return { agent: true };
  const keys = Object.keys(value);
  if (keys.some((k) => k !== "keyFile" && k !== "passphraseEnv")) return undefined;
  if (!isText(value.keyFile) || !optionalText(value.passphraseEnv)) return undefined;
  return isText(value.passphraseEnv)
    ? { keyFile: value.keyFile, passphraseEnv: value.passphraseEnv }
    : { keyFile: value.keyFile };
}

function hostOf(value: unknown): Host | undefined {
  if (!isObject(value) || !isText(value.name) || !isText(value.address) || !isText(value.user))
    return undefined;
  const port = value.port ?? 22;
  if (!isPort(port) || !optionalText(value.hostKey) || !optionalText(value.via)) return undefined;
  const auth = authOf(value.auth);
  if (!auth) return undefined;
  const host: Host = { name: value.name, address: value.address, port, user: value.user, auth };
  if (isText(value.hostKey)) host.hostKey = value.hostKey;
  if (isText(value.via)) host.via = value.via;
  return host;
}

function list(value: unknown): unknown[] | undefined {
  return value === undefined ? [] : Array.isArray(value) ? value : undefined;
}

function databaseOf(value: unknown): Pick<Database, "engine" | "port"> | undefined {
  if (!isObject(value)) return undefined;
  const engine = value.engine;
  if (engine !== "postgresql" && engine !== "mysql" && engine !== "mariadb") return undefined;
  if (value.port === undefined) return { engine };
  return isPort(value.port) ? { engine, port: value.port } : undefined;
}

function workloadOf(value: unknown): TargetPlan["workloads"][number] | undefined {
  if (!isObject(value) || !isText(value.source) || !isText(value.target)) return undefined;
  const paths = list(value.paths);
  const services = list(value.services);
  const databases = list(value.databases)?.map(databaseOf);
  if (!paths?.every(isText) || !services?.every(isText)) return undefined;
  if (!databases || databases.some((d) => d === undefined)) return undefined;
  return {
    source: value.source,
    target: value.target,
    paths,
    services,
    databases: databases as Pick<Database, "engine" | "port">[],
  };
}

export function earlyPlan(text: string): TargetPlan | undefined {
  let raw: unknown;
  try {
    raw = parse(text, { merge: true, maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  const sources = list(raw.sources)?.map(hostOf);
  const tenants = list(raw.tenants)?.map((t) => {
    const hosts = isObject(t) ? list(t.hosts)?.map(hostOf) : undefined;
    if (!isObject(t) || !isText(t.name) || !hosts || hosts.some((h) => h === undefined)) return undefined;
    return { name: t.name, hosts: hosts as Host[] };
  });
  const workloads = list(raw.workloads)?.map(workloadOf);
  if (!sources || !tenants || !workloads) return undefined;
  if ([...sources, ...tenants, ...workloads].some((item) => item === undefined)) return undefined;
  return {
    sources: sources as Host[],
    tenants: tenants as TargetPlan["tenants"][number][],
    workloads: workloads as TargetPlan["workloads"][number][],
  };
}

/**
 * Everything inventory knows about one host, assembled from the script's sections. A superset
 * of the plan's `HostFacts` (arch, paths, freeBytes) so the JSON feeds `validate --inventory`.
 */
import type { HostFacts, PathFacts } from "../plan/inventory-facts.ts";
import type { Runtime } from "../plan/portability-facts.ts";
import type { CronEntry } from "./parse-cron.ts";
import { parseCrontab } from "./parse-cron.ts";
import type { DatabaseServerFacts } from "./parse-databases.ts";
import { parseMysql, parsePostgres } from "./parse-databases.ts";
import { type FilesystemFacts, filesystemFor, parseDf } from "./parse-df.ts";
import { type ListenFacts, parseNetstat, parseSs } from "./parse-listen.ts";
import { parsePathSection } from "./parse-path.ts";
import { type ArchiveFound, type PathScan, parseRuntimeSection, parseScanSection } from "./parse-scan.ts";
import { parseProcessNames, parseSystemdUnits } from "./parse-services.ts";
import {
  type MemoryFacts,
  type OsFacts,
  parseMeminfo,
  parseNproc,
  parseOsRelease,
  parseUname,
} from "./parse-system.ts";
import type { Section } from "./sections.ts";

export interface HostError {
  kind: string;
  message: string;
  hint?: string;
}

export interface HostInventory extends HostFacts {
  role: "source" | "target";
  address: string;
  port: number;
  via?: string;
  tenant?: string;
  ok: boolean;
  error?: HostError;
  durationMs: number;
  os?: OsFacts;
  kernel?: string;
  kernelRelease?: string;
  hostname?: string;
  cpus?: number;
  memory?: MemoryFacts;
  filesystems?: FilesystemFacts[];
  /** Declared paths that do not exist on the host. */
  missingPaths?: string[];
  listening?: ListenFacts[];
  services?: string[];
  /** "systemd": running units; "ps": process names (no systemd on the host). */
  servicesFrom?: "systemd" | "ps";
  databases?: DatabaseServerFacts[];
  crontabs?: CronEntry[];
  /** The portability scan of the paths and services of the workloads this host is the source of. */
  portability?: HostPortability;
}

export interface HostPortability {
  paths: Record<string, PathScan>;
  runtimes: Runtime[];
}

export type HostIdentity = Pick<HostInventory, "role" | "address" | "port" | "via" | "tenant">;

/**
 * Build the facts of a reachable host from its sections; `declaredPaths` get free space.
 * `archives` receives the Java archives whose directories a later round trip reads.
 */
export function hostFactsFrom(
  identity: HostIdentity,
  sections: readonly Section[],
  declaredPaths: readonly string[],
  durationMs: number,
  archives: ArchiveFound[] = [],
): HostInventory {
  const facts: HostInventory = { ...identity, ok: true, durationMs };
  const portability: HostPortability = { paths: {}, runtimes: [] };
  const paths: Record<string, PathFacts> = {};
  const missing: string[] = [];
  const databases: DatabaseServerFacts[] = [];
  const crontabs: CronEntry[] = [];
  for (const section of sections) {
    switch (section.name) {
      case "os-release":
        facts.os = parseOsRelease(section.body);
        break;
      case "uname": {
        const uname = parseUname(section.body);
        if (uname.arch) facts.arch = uname.arch;
        if (uname.kernel) facts.kernel = uname.kernel;
        if (uname.kernelRelease) facts.kernelRelease = uname.kernelRelease;
        if (uname.hostname) facts.hostname = uname.hostname;
        break;
      }
      case "nproc": {
        const cpus = parseNproc(section.body);
        if (cpus !== undefined) facts.cpus = cpus;
        break;
      }
      case "meminfo":
        facts.memory = parseMeminfo(section.body);
        break;
      case "df":
        facts.filesystems = parseDf(section.body, Number(section.arg) || 1);
        break;
      case "listen-ss":
        facts.listening = parseSs(section.body);
        break;
      case "listen-netstat":
        facts.listening = parseNetstat(section.body);
        break;
      case "services-systemd":
        facts.services = parseSystemdUnits(section.body);
        facts.servicesFrom = "systemd";
        break;
      case "services-ps":
        facts.services = parseProcessNames(section.body);
        facts.servicesFrom = "ps";
        break;
      case "path": {
        const parsed = parsePathSection(section.body);
        if (parsed === "missing") missing.push(section.arg);
        else if (parsed) paths[section.arg] = parsed;
        break;
      }
      case "pg":
        databases.push(parsePostgres(Number(section.arg), section.body));
        break;
      case "my":
        databases.push(parseMysql(Number(section.arg), section.body));
        break;
      case "cron":
        crontabs.push(...parseCrontab(section.arg, section.body));
        break;
      case "scan": {
        const parsed = parseScanSection(section.body);
        portability.paths[section.arg] = parsed.scan;
        archives.push(...parsed.archives);
        break;
      }
      case "runtime": {
        const runtime = parseRuntimeSection(section.arg, section.body);
        if (runtime) portability.runtimes.push(runtime);
        break;
      }
    }
  }
  facts.paths = paths;
  facts.missingPaths = missing;
  facts.databases = databases;
  facts.crontabs = crontabs;
  if (sections.some((s) => s.name === "scan" || s.name === "runtime")) facts.portability = portability;
  const freeBytes: Record<string, number> = {};
  for (const path of declaredPaths) {
    const fs = filesystemFor(path, facts.filesystems ?? []);
    if (fs) freeBytes[path] = fs.freeBytes;
  }
  facts.freeBytes = freeBytes;
  return facts;
}

/**
 * The one shell script inventory runs per host: every fact in one round trip, each section
 * introduced by a marker line carrying a per-run nonce so file contents cannot forge a section.
 * The script is constant source text; plan values (paths, database ports) arrive as quoted
 * positional arguments tagged `path:`, `pg:` or `my:` (`pg?:`, `my?:`: only if present), and for
 * the portability scan (native-scan.sh, placed first) `scan:` paths and `svc:` services.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ShellCommand, sh } from "../remote/shell.ts";

/** Kept as a real .sh file so it can be read and linted as shell; shipped with src/. */
const SCRIPT = [
  readFileSync(new URL("./native-scan.sh", import.meta.url), "utf8"),
  readFileSync(new URL("./inventory.sh", import.meta.url), "utf8"),
].join("\n");

export interface ScriptInputs {
  paths: readonly string[];
  postgresPorts: readonly number[];
  mysqlPorts: readonly number[];
  /** Paths of the workloads this host is the source of: scanned for CPU-specific files. */
  scanPaths?: readonly string[];
  /** Services of those workloads: the runtime each starts. */
  services?: readonly string[];
  /** Probe the databases only when their local socket exists (hosts the plan gives no database). */
  databasesIfPresent?: boolean;
}

export function newNonce(): string {
  return randomBytes(6).toString("hex");
}

/** `sh -c SCRIPT inventory NONCE path:/srv/a pg:5432 ...` with every argument quoted. */
export function inventoryCommand(inputs: ScriptInputs, nonce: string): ShellCommand {
  const optional = inputs.databasesIfPresent ? "?" : "";
  const args = [
    nonce,
    ...inputs.paths.map((path) => `path:${path}`),
    ...inputs.postgresPorts.map((port) => `pg${optional}:${port}`),
    ...inputs.mysqlPorts.map((port) => `my${optional}:${port}`),
    ...(inputs.scanPaths ?? []).map((path) => `scan:${path}`),
    ...(inputs.services ?? []).map((service) => `svc:${service}`),
  ];
  return sh`sh -c ${SCRIPT} migrate-inventory ${args}`;
}

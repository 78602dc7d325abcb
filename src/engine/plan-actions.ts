/**
 * The concrete actions of a run plan. `migrate plan` prints them and `apply` carries out exactly
 * these objects, so every field a step needs is here; `summary` is the one-line human form.
 * Host fields are host names of the plan (resolve them with findHost).
 */
import type { Arch, Zone } from "../plan/schema.ts";

export type HashAlgorithm = "sha256" | "sm3";
export type DbEngine = "postgresql" | "mysql" | "mariadb";

/** Where database dumps are staged, on the source and (after transfer) on the target. */
export const STAGING_ROOT = "/var/tmp/migrate";

interface Base {
  summary: string;
}

/** Record a content manifest (path, size, mode, digest per file) of a directory tree. */
export interface ManifestAction extends Base {
  type: "manifest";
  host: string;
  path: string;
  hash: HashAlgorithm;
  /** From inventory, when known. */
  bytes?: number;
  files?: number;
}

export interface DatabaseRef {
  engine: DbEngine;
  database: string;
  user?: string;
  port?: number;
  /** Environment variable holding the password (never the password). */
  passwordEnv?: string;
}

/** Dump a database to a file on its host. */
export interface DumpAction extends Base, DatabaseRef {
  type: "dump";
  host: string;
  tool: "pg_dump -Fc" | "mysqldump --single-transaction";
  file: string;
  /** "initial" while the source serves; "final" after the freeze, during cutover. */
  phase: "initial" | "final";
}

/** Copy a directory tree (or a staged dump) from one host to another, preserving metadata. */
export interface SyncAction extends Base {
  type: "sync";
  from: string;
  to: string;
  path: string;
  tool: "rsync";
  /** Per-transfer bandwidth limit from the plan defaults, e.g. "100MiB/s". */
  bandwidth?: string;
  phase: "initial" | "final";
  /**
   * Files under `path` left alone: in the final sync, the files reconfigure rewrote on the
   * target (copying them again would undo the rewrite).
   */
  exclude: string[];
  bytes?: number;
  files?: number;
}

/** Restore a dump file into a database on the target. */
export interface RestoreAction extends Base, DatabaseRef {
  type: "restore";
  host: string;
  tool: "pg_restore --clean --if-exists" | "mysql";
  file: string;
  phase: "initial" | "final";
}

/** Replace literal strings in a file on the target (old host names and addresses). */
export interface RewriteAction extends Base {
  type: "rewrite";
  host: string;
  file: string;
  replace: Record<string, string>;
}

/** Run a shell command on a host (reconfigure commands, command cutovers and their undo). */
export interface CommandAction extends Base {
  type: "command";
  host: string;
  run: string;
  undo?: CommandAction;
}

/** Stop the source's services so no write is lost between the final sync and the switch. */
export interface FreezeAction extends Base {
  type: "freeze";
  host: string;
  services: string[];
  undo: ServicesAction;
}

/** Start (or, as an undo, stop) services on a host. */
export interface ServicesAction extends Base {
  type: "start" | "stop";
  host: string;
  services: string[];
  undo?: ServicesAction;
}

/** Point an nginx upstream on the gateway at a new address, test the config, reload. */
export interface ProxySwitchAction extends Base {
  type: "proxy-switch";
  gateway: string;
  upstreamFile: string;
  /** host:port the upstream points at before and after. */
  from: string;
  to: string;
  undo?: ProxySwitchAction;
}

/** Update a DNS record with nsupdate. */
export interface DnsSwitchAction extends Base {
  type: "dns-switch";
  server: string;
  zone: string;
  record: string;
  ttl: number;
  keyFile?: string;
  from: string;
  to: string;
  undo?: DnsSwitchAction;
}

/** Compare the target's files with the snapshot manifest. */
export interface ManifestVerifyAction extends Base {
  type: "manifest-verify";
  host: string;
  path: string;
  hash: HashAlgorithm;
  /** Files under `path` that reconfigure rewrote, so they differ from the snapshot by design. */
  exclude: string[];
}

export type CheckSpec =
  | { kind: "http"; url: string; status: number; contains?: string; from?: string }
  | { kind: "tcp"; host: string; port: number }
  | {
      kind: "rowCount";
      engine: DbEngine;
      database: string;
      tables: string[];
      source: string;
      target: string;
      user?: string;
      port?: number;
      passwordEnv?: string;
    }
  | { kind: "command"; host: string; run: string };

/** A verify check from the plan; rowCount compares source and target counts per table. */
export interface CheckAction extends Base {
  type: "check";
  check: CheckSpec;
}

export type Action =
  | ManifestAction
  | DumpAction
  | SyncAction
  | RestoreAction
  | RewriteAction
  | CommandAction
  | FreezeAction
  | ServicesAction
  | ProxySwitchAction
  | DnsSwitchAction
  | ManifestVerifyAction
  | CheckAction;

export type ActionType = Action["type"];

export interface PlannedTenant {
  name: string;
  cloud: string;
  zone: Zone;
  arch: Arch;
}

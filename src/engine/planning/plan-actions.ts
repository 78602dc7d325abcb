/**
 * The actions of a run plan: each planned step's input described for people (`summary`, the
 * one-line human form) and for tools (typed fields). They are derived from the step inputs
 * the run plan carries (plan-steps.ts, plan-cutover.ts) — apply executes those inputs, so the
 * actions say what runs, with the real commands. Host fields are host names of the plan.
 */
import type { Arch, Zone } from "../../plan/schema.ts";

export type HashAlgorithm = "sha256" | "sm3";
export type DbEngine = "postgresql" | "mysql" | "mariadb";

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

/**
 * Hash the target's copy of a workload path, if it has one, while the source's manifest is
 * recorded: read-only, its digests kept as evidence for the transfer's in-place check.
 */
export interface PreHashAction extends Base {
  type: "pre-hash";
  host: string;
  path: string;
  hash: HashAlgorithm;
}

export interface DatabaseRef {
  engine: DbEngine;
  database: string;
  user?: string;
  port?: number;
  /** Environment variable holding the password (never the password). */
  passwordEnv?: string;
}

/** Dump a database with its engine's tool into a file on the source, counting rows per table. */
export interface DumpAction extends Base, DatabaseRef {
  type: "dump";
  host: string;
  /** The dump command as the step runs it (without the password, which travels on stdin). */
  tool: string;
  file: string;
}

/**
 * Stream a database dump from the frozen source straight into a file on the target (final
 * phase of the cutover; nothing is staged on the source).
 */
export interface StreamDumpAction extends Base, DatabaseRef {
  type: "stream-dump";
  from: string;
  to: string;
  /** The dump command as the source runs it. */
  tool: string;
  file: string;
}

/**
 * Native replication of a database (`mode: replicate`, docs/replication.md). "preflight"
 * (snapshot): read-only checks on both hosts; "start" (reconfigure): replication user and
 * publication on the source, schema copied, subscription on the target through an SSH tunnel
 * migrate holds; "catch-up" (cutover): the source read-only, the target waited for, sequences
 * set, row counts equal, everything dropped after the switch.
 */
export interface ReplicateAction extends Base, DatabaseRef {
  type: "replicate";
  phase: "preflight" | "start" | "catch-up";
  from: string;
  to: string;
  /** Why replicate: the plan asked for it, or the default (with the dump fallback). */
  reason: string;
}

/**
 * Move files from source to target as tar batches through the orchestrator, each verified on
 * the target against the manifest and checkpointed. "initial": the snapshot's files (or a dump
 * file); "final": after the freeze, only what changed since the snapshot is sent and what the
 * source no longer has is deleted on the target, inside `path` only.
 */
export interface SyncAction extends Base {
  type: "sync";
  from: string;
  to: string;
  path: string;
  tool: "tar";
  phase: "initial" | "final";
  bytes?: number;
  files?: number;
}

/**
 * Restore a dump file on the target. "initial" (reconfigure) requires at least the source's
 * per-table row counts from the snapshot; "final" (cutover) requires exactly the frozen
 * source's counts.
 */
export interface RestoreAction extends Base, DatabaseRef {
  type: "restore";
  host: string;
  /** The restore command as the target runs it. */
  tool: string;
  file: string;
  rowCounts: "at-least-source" | "equal-to-source";
}

/**
 * Replace literal strings in a file on the target (old host names and addresses); the original
 * is kept for undo. "final": applied again during the cutover when the final sync replaced the
 * file with a newer source version.
 */
export interface RewriteAction extends Base {
  type: "rewrite";
  host: string;
  file: string;
  replace: Record<string, string>;
  phase: "initial" | "final";
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

/**
 * Hash the target's tree afresh and require it to equal the source's final manifest (taken at
 * the freeze), no more and no fewer files.
 */
export interface ManifestVerifyAction extends Base {
  type: "manifest-verify";
  host: string;
  path: string;
  hash: HashAlgorithm;
  /** Files under `path` that were rewritten: they must hold exactly their rewritten content. */
  rewritten: string[];
}

/**
 * A hook of the plan: the operator's command run on a host before or after the step's own work
 * (steps/hooks.ts); a failing mustSucceed hook fails the step.
 */
export interface HookAction extends Base {
  type: "hook";
  phase: "before" | "after";
  host: string;
  run: string;
  timeoutMs: number;
  mustSucceed: boolean;
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
  | PreHashAction
  | DumpAction
  | StreamDumpAction
  | ReplicateAction
  | SyncAction
  | RestoreAction
  | RewriteAction
  | CommandAction
  | FreezeAction
  | ServicesAction
  | ProxySwitchAction
  | DnsSwitchAction
  | ManifestVerifyAction
  | CheckAction
  | HookAction;

export type ActionType = Action["type"];

export interface PlannedTenant {
  name: string;
  cloud: string;
  zone: Zone;
  arch: Arch;
}

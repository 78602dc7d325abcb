/**
 * The plan contract (shared/PLAN-FORMAT.md) as a zod schema. Types come from here; the JSON
 * Schema in schema/plan.schema.json is generated from it. Shape only: cross-references and
 * policy (classification, zones, CPU architecture, cycles) are checked in rules.ts.
 */
import { z } from "zod";
import { BANDWIDTH } from "./bytes.ts";
import { DURATION } from "./duration.ts";

export const SAFE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Host and service names may also carry dots and underscores (systemd units, FQDN-like labels). */
export const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9@._:-]{0,254}$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const DB_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

export const ZONES = ["internet", "egov-extranet", "egov-intranet"] as const;
export const Zone = z.enum(ZONES);
/** Protection order: a workload may only move to a zone at least as protected as its own. */
export const ZONE_RANK: Record<z.infer<typeof Zone>, number> = {
  internet: 0,
  "egov-extranet": 1,
  "egov-intranet": 2,
};

export const ARCHES = ["x86_64", "aarch64", "loongarch64", "mips64el", "riscv64", "sw_64"] as const;
export const Arch = z.enum(ARCHES);

export const WORKLOAD_KINDS = ["portal", "tax-collection", "licensing", "generic"] as const;
export const HASHES = ["sha256", "sm3"] as const;
export const DB_ENGINES = ["postgresql", "mysql", "mariadb"] as const;
/** How a database moves (databases[].mode). */
export const DB_MODES = ["replicate", "dump"] as const;

const safeName = z
  .string()
  .regex(SAFE_NAME, "must be lower-case letters, digits and dashes (e.g. land-revenue)");
const hostName = z.string().regex(HOST_NAME, "must be letters, digits, '.', '_' or '-'");
const envName = z.string().regex(ENV_NAME, "must name an environment variable (e.g. FIN_KEY_PASS)");
const duration = z.string().regex(DURATION, "must be a duration like 90s, 15m or 2h");
const absolutePath = z.string().min(1);
const address = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9.:[\]_-]+$/, "must be an IP address or host name");

export const Auth = z.union([
  z.strictObject({ agent: z.literal(true).describe("Use the ssh-agent at $SSH_AUTH_SOCK.") }),
  z.strictObject({
    keyFile: z.string().min(1).describe("Path to a private key file; ~ expands to the home directory."),
    passphraseEnv: envName.optional().describe("Environment variable holding the key's passphrase."),
  }),
]);

export const Host = z.strictObject({
  name: hostName.describe("Unique across the plan: sources and every tenant's hosts."),
  address: address.describe("IP address or host name."),
  port: z.number().int().min(1).max(65535).default(22).describe("SSH port."),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*\$?$/, "must be a POSIX user name")
    .describe("POSIX user to log in as."),
  auth: Auth.describe("{ agent: true } or { keyFile, passphraseEnv? }; secrets are never written in a plan."),
  hostKey: z
    .string()
    .regex(FINGERPRINT, "must be an OpenSSH SHA256 fingerprint (ssh-keygen -lf key.pub)")
    .optional()
    .describe(
      "Pinned host key fingerprint; without it ~/.ssh/known_hosts is used; unknown keys are refused.",
    ),
  via: hostName.optional().describe("Jump host (bastion): the name of another host in the plan."),
  become: z
    .enum(["sudo"])
    .optional()
    .describe(
      "Run every command as root through `sudo -n` (a non-root login with passwordless sudo), as Ansible's become does.",
    ),
});

export const Tenant = z.strictObject({
  name: safeName.describe("Lower-case letters, digits and dashes."),
  cloud: z.string().min(1).describe("The government cloud, e.g. zhongyuan-cloud."),
  zone: Zone.describe("Network zone: internet < egov-extranet < egov-intranet (protection order)."),
  maxClassification: z
    .number()
    .int()
    .min(1)
    .max(4)
    .describe("Highest MLPS level the tenant is accredited for."),
  arch: Arch.describe("CPU architecture of the tenant's hosts; non-portable workloads must match it."),
  hosts: z.array(Host).min(1).describe("At least one host, with the same fields as sources."),
});

export const Window = z.strictObject({
  start: z.string().describe('ISO 8601 with offset, e.g. "2026-12-05T22:00+08:00"'),
  end: z.string().describe("ISO 8601 with offset, after start."),
});

export const Database = z.strictObject({
  engine: z.enum(DB_ENGINES),
  name: z.string().regex(DB_NAME, "must be a plain database name"),
  user: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/)
    .optional()
    .describe("OS user the database commands run as (runuser); default postgres."),
  port: z.number().int().min(1).max(65535).optional().describe("Passed to the clients only when given."),
  passwordEnv: envName
    .optional()
    .describe("Environment variable holding the password; it reaches the host on stdin only."),
  mode: z
    .enum(DB_MODES)
    .optional()
    .describe(
      "How the database moves. replicate: native replication (PostgreSQL logical replication through an SSH tunnel), so the cutover only waits for the target to catch up; dump: dump and restore, again under the freeze. Default: replicate where the engine supports it and apply's preflight allows it, else dump (plan shows why). An explicit replicate that fails the preflight is refused, never downgraded.",
    ),
});

export const Rewrite = z.strictObject({
  files: z.array(absolutePath).min(1).describe("Absolute paths of files on the target."),
  replace: z
    .record(z.string().min(1), z.string())
    .describe("Literal old: new replacements, byte-exact (GBK files survive)."),
});

export const Cutover = z.discriminatedUnion("strategy", [
  z.strictObject({
    strategy: z.literal("proxy"),
    gateway: hostName.describe("A host in the plan running nginx."),
    upstreamFile: absolutePath.describe("nginx file holding the upstream block; rewritten atomically."),
    upstreamPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(80)
      .describe("The target's port written into the upstream."),
  }),
  z.strictObject({
    strategy: z.literal("dns"),
    server: address.describe("DNS server nsupdate sends the update to."),
    zone: z.string().min(1),
    record: z.string().min(1).describe("Record name whose A/AAAA data moves to the target."),
    ttl: z.number().int().min(0).default(60),
    keyFile: z.string().min(1).optional().describe("TSIG key file for nsupdate -k."),
  }),
  z.strictObject({
    strategy: z.literal("command"),
    host: hostName.describe("A host in the plan."),
    run: z.string().min(1).describe("Your own switch."),
    undo: z.string().min(1).describe("Its undo, run by rollback."),
  }),
]);

export const Check = z.union([
  z.strictObject({
    http: z.strictObject({
      url: z.string().url(),
      status: z.number().int().min(100).max(599).default(200).describe("Expected HTTP status."),
      contains: z.string().optional().describe("Text the response body must contain."),
      from: hostName.optional().describe("Host that makes the request; default: the orchestrator."),
    }),
  }),
  z.strictObject({ tcp: z.strictObject({ host: hostName, port: z.number().int().min(1).max(65535) }) }),
  z.strictObject({
    rowCount: z.strictObject({
      database: z.string().regex(DB_NAME).describe("One of the workload's databases."),
      tables: z
        .array(z.string().min(1))
        .min(1)
        .describe("Tables whose row counts must be equal on source and target."),
    }),
  }),
  z.strictObject({
    command: z.strictObject({ host: hostName, run: z.string().min(1).describe("Must exit 0.") }),
  }),
]);

/** An operator-written shell command run on a plan host before or after a step (docs/hooks.md). */
export const Hook = z.strictObject({
  host: hostName.describe("A host in the plan."),
  run: z.string().min(1).describe("Shell command, run with `sh -c` on the host as the plan's user."),
  timeout: duration
    .default("5m")
    .describe("Longest the command may run; after that it is stopped and fails."),
  mustSucceed: z
    .boolean()
    .default(true)
    .describe("true: a failure fails the step (after the switch: rolls back); false: a journaled warning."),
});
const hookList = z.array(Hook).min(1);
/** One list per step; an unknown step name is refused with a did-you-mean hint. */
const HooksPerStep = z.strictObject({
  snapshot: hookList.optional(),
  transfer: hookList.optional(),
  reconfigure: hookList.optional(),
  cutover: hookList.optional(),
  verify: hookList.optional(),
});
export const Hooks = z.strictObject({
  before: HooksPerStep.optional().describe("Run before the step's own work, in order."),
  after: HooksPerStep.optional().describe(
    "Run after the step's own work succeeded, before it counts as finished.",
  ),
});

export const Workload = z.strictObject({
  name: safeName.describe("Unique among workloads."),
  bureau: z.string().min(1).describe("The owning bureau; progress is reported per bureau."),
  kind: z.enum(WORKLOAD_KINDS),
  classification: z
    .number()
    .int()
    .min(1)
    .max(5)
    .describe("MLPS level 1-4; level 5 (classified) is refused outright."),
  zone: Zone.describe(
    "The network zone the system belongs in; the tenant's zone must be at least as protected.",
  ),
  portable: z
    .boolean()
    .default(false)
    .describe("true only when nothing is CPU-specific (static files, JVM, scripts)."),
  wave: z.number().int().min(1).describe("Waves run in ascending order."),
  dependsOn: z
    .array(safeName)
    .default([])
    .describe("Workloads (same or earlier wave) that must finish first."),
  source: hostName.describe("A host in sources."),
  target: hostName.describe("A host of a tenant; its tenant is the workload's target tenant."),
  window: Window.optional().describe("Maintenance window; cutover runs only inside it."),
  downtimeBudget: duration
    .optional()
    .describe("Longest the source may be frozen before the target is verified."),
  hash: z.enum(HASHES).default("sha256").describe("Manifest hash; sm3 for national-standard audits."),
  paths: z.array(absolutePath).default([]).describe("Absolute, normalized directories or files to move."),
  databases: z
    .array(Database)
    .default([])
    .describe("Dumped at snapshot, restored on the target, row counts compared."),
  services: z
    .array(z.string().regex(SERVICE_NAME, "must be a service unit name"))
    .default([])
    .describe("systemd units: stopped on the source at the freeze, started on the target."),
  rewrite: z
    .array(Rewrite)
    .default([])
    .describe("Literal replacements (old host names and addresses) in files on the target."),
  commands: z.array(z.string().min(1)).default([]).describe("Run on the target after rewrites, in order."),
  cutover: Cutover.optional().describe(
    "How traffic moves to the target: proxy, dns or command; each has an undo.",
  ),
  verify: z
    .union([
      z.array(Check),
      z.strictObject({
        full: z
          .boolean()
          .default(false)
          .describe(
            "Hash every file on the target at the cutover (audits); otherwise only what changed since the transfer verified it.",
          ),
        checks: z.array(Check).default([]).describe("The checks, as in the list form."),
      }),
    ])
    .default([])
    .describe("Checks that must pass before the workload counts as migrated: a list, or `{ full, checks }`."),
  hooks: Hooks.optional().describe(
    "Commands run on plan hosts before or after a step: { before|after: { <step>: [ { host, run, timeout, mustSucceed } ] } }.",
  ),
});

export const Defaults = z.strictObject({
  concurrency: z.number().int().min(1).max(256).default(8).describe("Workloads in flight at once."),
  perHostConcurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe("Workloads in flight per source host."),
  perTenantConcurrency: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe("Workloads in flight per target tenant."),
  retries: z
    .number()
    .int()
    .min(0)
    .max(20)
    .default(3)
    .describe("Retries of transient faults (never of deterministic ones)."),
  bandwidth: z
    .string()
    .regex(BANDWIDTH, "must be a rate like 100MiB/s")
    .optional()
    .describe("One limit shared by all transfers of a run, e.g. 100MiB/s (B, KiB, MiB, GiB, KB, MB, GB)."),
  timezone: z
    .string()
    .default("Asia/Shanghai")
    .describe("IANA zone in which every time shown to a person is written, with its offset."),
  stateDir: z.string().optional().describe("Journal directory; default .migrate/ beside the plan."),
});

export const Plan = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal("migrate/v1"),
  kind: z.literal("MigrationPlan"),
  metadata: z.strictObject({
    name: safeName.describe("Up to 63 characters; names the state directory and the journal."),
    owner: z.string().min(1).describe("The accountable bureau or department (shown in reports)."),
    description: z.string().optional(),
  }),
  defaults: Defaults.default(Defaults.parse({})).describe("Run settings."),
  sources: z.array(Host).default([]).describe("The bureau's own servers."),
  tenants: z.array(Tenant).default([]).describe("Target cloud tenants, each with its hosts."),
  workloads: z.array(Workload).default([]).describe("The systems to move."),
});

export type Plan = z.infer<typeof Plan>;
export type PlanInput = z.input<typeof Plan>;
export type Host = z.infer<typeof Host>;
export type Tenant = z.infer<typeof Tenant>;
export type Workload = z.infer<typeof Workload>;
export type Database = z.infer<typeof Database>;
export type Cutover = z.infer<typeof Cutover>;
export type Check = z.infer<typeof Check>;
export type Hook = z.infer<typeof Hook>;
export type Hooks = z.infer<typeof Hooks>;
export type Zone = z.infer<typeof Zone>;
export type Arch = z.infer<typeof Arch>;
export type Auth = z.infer<typeof Auth>;

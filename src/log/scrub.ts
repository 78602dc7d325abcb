/**
 * Secrets never reach the log. Two layers: keys whose name says "secret" (password, token,
 * passphrase, private key...) lose their value at any depth, and known secret values (the
 * values of the env vars the plan names: passphraseEnv, passwordEnv) plus recognisable secret
 * shapes (PEM private keys, `PGPASSWORD=...`, `Authorization: Bearer ...`) are cut out of every
 * string wherever they appear, including messages and remote command lines.
 */
import type { Plan } from "../plan/schema.ts";

export const REDACTED = "[redacted]";

/** Field names whose values are secret, compared case-insensitively without `-`/`_`. */
const SECRET_KEYS = [
  "key",
  "passphrase",
  "password",
  "passwd",
  "token",
  "secret",
  "authorization",
  "privatekey",
];

export function isSecretKey(name: string): boolean {
  const normal = name.toLowerCase().replaceAll(/[-_]/g, "");
  // `keyFile`, `passwordEnv` and friends name where a secret lives, which is safe to log.
  if (/(file|env|path)$/.test(normal)) return false;
  return SECRET_KEYS.some((key) => normal === key || normal.endsWith(key));
}

const PATTERNS: [RegExp, string][] = [
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    `${REDACTED} private key`,
  ],
  [
    /\b((?:PG|MYSQL_|MARIADB_)?(?:PASSWORD|PWD|PASSWD|PASSPHRASE|TOKEN|SECRET)[A-Z_]*=)("[^"]*"|'[^']*'|\S+)/gi,
    `$1${REDACTED}`,
  ],
  [/\b(authorization:\s*(?:bearer|basic|token)\s+)\S+/gi, `$1${REDACTED}`],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
];

/** Values shorter than this are not scrubbed by value: "1" would shred every number. */
const MIN_SECRET_LENGTH = 4;

export class Scrubber {
  private readonly values: string[];

  constructor(secretValues: Iterable<string> = []) {
    this.values = [...new Set(secretValues)]
      .filter((value) => value.length >= MIN_SECRET_LENGTH)
      // Longest first, so a secret containing another is removed whole.
      .sort((a, b) => b.length - a.length);
  }

  text(input: string): string {
    let out = input;
    for (const value of this.values) out = out.replaceAll(value, REDACTED);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  /**
   * A deep copy with every string scrubbed and keys left alone: for records whose field names
   * are a schema (journal records carry a step `key`), where only the values may hold secrets.
   */
  strings<T>(input: T, depth = 0): T {
    if (typeof input === "string") return this.text(input) as T;
    if (input === null || typeof input !== "object" || depth > 16) return input;
    if (Array.isArray(input)) return input.map((item) => this.strings(item, depth + 1)) as T;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) out[key] = this.strings(item, depth + 1);
    return out as T;
  }

  /** A user-facing error with its message and hint scrubbed, in place (it keeps its class). */
  error<T>(error: T): T {
    if (error instanceof Error) {
      error.message = this.text(error.message);
      const withHint = error as Error & { hint?: unknown };
      if (typeof withHint.hint === "string") withHint.hint = this.text(withHint.hint);
    }
    return error;
  }

  /** A deep copy with secret keys censored and every string scrubbed. */
  value(input: unknown, depth = 0): unknown {
    if (typeof input === "string") return this.text(input);
    if (input === null || typeof input !== "object" || depth > 8) return input;
    if (input instanceof Error) {
      return {
        type: input.name,
        message: this.text(input.message),
        stack: input.stack && this.text(input.stack),
      };
    }
    if (Array.isArray(input)) return input.map((item) => this.value(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      out[key] =
        isSecretKey(key) && item !== undefined && item !== null ? REDACTED : this.value(item, depth + 1);
    }
    return out;
  }
}

/** Names of the env vars a plan reads secrets from (key passphrases, database passwords). */
export function secretEnvNames(plan: Plan): string[] {
  const names = new Set<string>();
  const hosts = [...plan.sources, ...plan.tenants.flatMap((tenant) => tenant.hosts)];
  for (const host of hosts)
    if ("passphraseEnv" in host.auth && host.auth.passphraseEnv) names.add(host.auth.passphraseEnv);
  for (const workload of plan.workloads) {
    for (const database of workload.databases) if (database.passwordEnv) names.add(database.passwordEnv);
  }
  return [...names];
}

export function scrubberForPlan(plan: Plan, env: NodeJS.ProcessEnv = process.env): Scrubber {
  return new Scrubber(secretEnvNames(plan).flatMap((name) => (env[name] ? [env[name]] : [])));
}

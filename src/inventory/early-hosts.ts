/**
 * Hosts read straight from the plan's YAML before the plan is validated, so inventory can open
 * its SSH connections while validation runs. Connecting is read-only and host keys are checked
 * as always; the validated plan still decides what runs (see sameHosts). Anything that is not
 * plainly well-formed yields no early hosts at all.
 */
import { parse } from "yaml";
import type { Auth, Host } from "../plan/schema.ts";

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === "string" && value !== "";
const optionalText = (value: unknown) => value === undefined || isText(value);

function authOf(value: unknown): Auth | undefined {
  if (!isObject(value)) return undefined;
  if (value.agent === true && Object.keys(value).length === 1) return { agent: true };
  if (isText(value.keyFile) && optionalText(value.passphraseEnv)) {
    return isText(value.passphraseEnv)
      ? { keyFile: value.keyFile, passphraseEnv: value.passphraseEnv }
      : { keyFile: value.keyFile };
  }
  return undefined;
}

function hostOf(value: unknown): Host | undefined {
  if (!isObject(value) || !isText(value.name) || !isText(value.address) || !isText(value.user))
    return undefined;
  const port = value.port ?? 22;
  if (
    typeof port !== "number" ||
    !Number.isInteger(port) ||
    !optionalText(value.hostKey) ||
    !optionalText(value.via)
  ) {
    return undefined;
  }
  const auth = authOf(value.auth);
  if (!auth) return undefined;
  const host: Host = { name: value.name, address: value.address, port, user: value.user, auth };
  if (isText(value.hostKey)) host.hostKey = value.hostKey;
  if (isText(value.via)) host.via = value.via;
  return host;
}

export function earlyHosts(text: string): Host[] | undefined {
  let raw: unknown;
  try {
    raw = parse(text, { merge: true, maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
  if (!isObject(raw)) return undefined;
  const sources = Array.isArray(raw.sources) ? raw.sources : [];
  const tenants = Array.isArray(raw.tenants) ? raw.tenants : [];
  const candidates = [
    ...sources,
    ...tenants.flatMap((t) => (isObject(t) && Array.isArray(t.hosts) ? t.hosts : [])),
  ];
  const hosts = candidates.map(hostOf);
  return hosts.every((h) => h !== undefined) ? hosts : undefined;
}

const key = (host: Host) =>
  JSON.stringify([
    host.name,
    host.address,
    host.port,
    host.user,
    host.auth,
    host.hostKey ?? null,
    host.via ?? null,
  ]);

/** Did the early reading see exactly the hosts the validated plan has? */
export function sameHosts(validated: readonly Host[], early: readonly Host[]): boolean {
  const a = validated.map(key).sort();
  const b = early.map(key).sort();
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/**
 * OpenSSH known_hosts: lookup (plain, wildcard, negated, `[host]:port` and hashed `|1|` entries)
 * and recording a newly accepted key. Pure parsing apart from the two file functions at the end.
 */
import { createHmac } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  marker: "" | "@revoked" | "@cert-authority";
  patterns: string;
  keyType: string;
  /** Base64 of the raw public key blob. */
  key: string;
}

export type KnownHostsVerdict =
  | { status: "match"; entry: KnownHostEntry }
  | { status: "unknown" }
  | { status: "changed"; entries: KnownHostEntry[] }
  | { status: "revoked"; entry: KnownHostEntry };

/** How OpenSSH names a host in known_hosts: bare for port 22, `[host]:port` otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"] = "";
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority")
      marker = fields.shift() as KnownHostEntry["marker"];
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    entries.push({ line: index + 1, marker, patterns, keyType, key });
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${escaped}$`, "i");
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split("|");
  if (kind !== "1" || !salt || !hash) return false;
  const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return digest === hash;
}

/** Does the comma-separated pattern list of an entry name this host? A negated match wins. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith("|")) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Compare a presented key (base64 blob, which embeds its type) with every entry for `name`. */
export function checkKnownHost(
  entries: readonly KnownHostEntry[],
  name: string,
  key: string,
): KnownHostsVerdict {
  const forHost = entries.filter(
    (entry) => entry.marker !== "@cert-authority" && patternsMatch(entry.patterns, name),
  );
  const revoked = forHost.find((entry) => entry.marker === "@revoked" && entry.key === key);
  if (revoked) return { status: "revoked", entry: revoked };
  const usable = forHost.filter((entry) => entry.marker === "");
  const match = usable.find((entry) => entry.key === key);
  if (match) return { status: "match", entry: match };
  return usable.length === 0 ? { status: "unknown" } : { status: "changed", entries: usable };
}

/** Key types recorded for a host, so the handshake can ask the server for one of those. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries
    .filter((entry) => entry.marker === "" && patternsMatch(entry.patterns, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

export async function readKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Record an accepted key the way `ssh` does (one unhashed line), creating the file if needed. */
export async function appendKnownHost(
  file: string,
  name: string,
  keyType: string,
  key: string,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const current = await readFile(file, "utf8");
    if (current.length > 0 && !current.endsWith("\n")) prefix = "\n";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await appendFile(file, `${prefix}${name} ${keyType} ${key}\n`, { mode: 0o600 });
}

/**
 * What is really on the hosts, read behind migrate's back (nsenter, not SSH): a manifest of the
 * workload's paths (type, mode, owner, size, mtime, link target, sha256 per entry), the
 * gateway's upstream, and the sshd logs that show whether anyone logged in.
 */
import { createHash } from "node:crypto";
import { hostExec, readFleet } from "../../../fixtures/fleet/index.ts";

const q = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export interface HostEntry {
  type: string;
  mode: string;
  owner: string;
  size: number;
  mtime: number;
  link: string;
  sha256: string;
}

/** Entries keyed by absolute path; NUL-separated so any file name survives. */
export async function hostManifest(host: string, paths: readonly string[]): Promise<Map<string, HostEntry>> {
  const list = paths.map(q).join(" ");
  const script = `set -e
for p in ${list}; do [ -e "$p" ] || [ -L "$p" ] || continue
  find "$p" -printf '%y\\t%m\\t%u:%g\\t%s\\t%T@\\t%l\\t%p\\0'
done
for p in ${list}; do [ -e "$p" ] || continue
  find "$p" -type f -print0
done | xargs -0 -r sha256sum -z --`;
  const result = await hostExec(host, script, { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`manifest on ${host} failed: ${result.stderr}`);
  const [listing, hashes] = splitTwo(result.stdout);
  const entries = new Map<string, HostEntry>();
  for (const record of listing) {
    const [type, mode, owner, size, mtime, link, ...rest] = record.split("\t");
    entries.set(rest.join("\t"), {
      type: type!,
      mode: mode!,
      owner: owner!,
      size: type === "d" ? 0 : Number(size),
      mtime: Math.floor(Number(mtime)),
      link: link!,
      sha256: "",
    });
  }
  for (const record of hashes) {
    const path = record.slice(66);
    const entry = entries.get(path);
    if (entry) entry.sha256 = record.slice(0, 64);
  }
  return entries;
}

/** find's records end with the first path that sha256sum repeats; split where hashes begin. */
function splitTwo(output: string): [string[], string[]] {
  const records = output.split("\0").filter((r) => r !== "");
  const first = records.findIndex((r) => /^[0-9a-f]{64} {2}/.test(r));
  return first < 0 ? [records, []] : [records.slice(0, first), records.slice(first)];
}

export interface ManifestDiff {
  missing: string[];
  extra: string[];
  different: { path: string; field: string; source: unknown; target: unknown }[];
}

/**
 * Compares source and target. Rewritten files are expected to hold exactly the source content
 * with the plan's replacements applied (so their size, hash and mtime differ by design).
 */
export function diffManifests(
  source: Map<string, HostEntry>,
  target: Map<string, HostEntry>,
  rewritten: Map<string, string> = new Map(),
): ManifestDiff {
  const diff: ManifestDiff = { missing: [], extra: [], different: [] };
  for (const [path, want] of source) {
    const got = target.get(path);
    if (!got) {
      diff.missing.push(path);
      continue;
    }
    const expectedHash = rewritten.get(path);
    const fields: (keyof HostEntry)[] = expectedHash
      ? ["type", "mode", "owner"]
      : // A directory's mtime moves whenever an entry is added; tar restores it, the test
        // only insists on it for files and links.
        want.type === "d"
        ? ["type", "mode", "owner", "link"]
        : ["type", "mode", "owner", "size", "mtime", "link", "sha256"];
    for (const field of fields) {
      if (want[field] !== got[field])
        diff.different.push({ path, field, source: want[field], target: got[field] });
    }
    if (expectedHash && got.sha256 !== expectedHash)
      diff.different.push({ path, field: "rewritten sha256", source: expectedHash, target: got.sha256 });
  }
  for (const path of target.keys()) if (!source.has(path)) diff.extra.push(path);
  return diff;
}

export function isEmptyDiff(diff: ManifestDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.different.length === 0;
}

/** The plan's rewrite applied to the source file's bytes: what the target must hold. */
export async function expectedRewrites(
  source: string,
  rules: readonly { files: readonly string[]; replace: Readonly<Record<string, string>> }[],
): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const rule of rules) {
    for (const file of rule.files) {
      const result = await hostExec(source, `base64 -w0 -- ${q(file)}`);
      if (result.code !== 0) throw new Error(`cannot read ${file} on ${source}: ${result.stderr}`);
      let content = Buffer.from(result.stdout, "base64");
      for (const [from, to] of Object.entries(rule.replace)) {
        content = Buffer.from(
          content
            .toString("latin1")
            .split(Buffer.from(from).toString("latin1"))
            .join(Buffer.from(to).toString("latin1")),
          "latin1",
        );
      }
      expected.set(file, createHash("sha256").update(content).digest("hex"));
    }
  }
  return expected;
}

export async function readHostFile(host: string, file: string): Promise<string> {
  const result = await hostExec(host, `cat -- ${q(file)}`);
  if (result.code !== 0) throw new Error(`cannot read ${file} on ${host}: ${result.stderr}`);
  return result.stdout;
}

/** Lines of every fleet host's sshd log, by host: "Accepted publickey" means someone logged in. */
export async function sshdLogins(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(
    readFleet().hosts.map(async (host) => {
      const result = await hostExec(host.name, "grep -c 'Accepted publickey' /var/log/sshd.log || true");
      counts.set(host.name, Number(result.stdout.trim() || "0"));
    }),
  );
  return counts;
}

export function fleetAddress(name: string): string {
  const host = readFleet().hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no fleet host ${name}`);
  return host.address;
}

const COUNT_ROWS = `select table_name || ' ' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;

/** Exact row count of every table of a PostgreSQL database on a host, read with psql directly. */
export async function hostRowCounts(host: string, database: string): Promise<Record<string, number>> {
  const result = await hostExec(host, `runuser -u postgres -- psql -X -At -d ${q(database)} -f -`, {
    input: COUNT_ROWS,
  });
  if (result.code !== 0) throw new Error(`cannot count rows of ${database} on ${host}: ${result.stderr}`);
  const counts: Record<string, number> = {};
  for (const line of result.stdout.trim().split("\n").filter(Boolean)) {
    const [table, count] = line.split(" ");
    counts[table!] = Number(count);
  }
  return counts;
}

/**
 * A tree listed on its host and compared there with the sorted listing kept from before
 * (script.ts, `keep` then `diff`): only the records that differ reach node, so what node parses
 * grows with the change, not with the tree. A record is the entry's whole metadata (type, size,
 * mode, owner, mtime, ctime, device, inode, link count, link target): an entry whose record is
 * unchanged is the entry the kept listing described, its attributes included, since changing
 * an attribute changes the ctime.
 */
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { type CollectOptions, runManifestScript } from "./collect.ts";
import type { ManifestEntry } from "./model.ts";
import { ManifestParseError, parseMeta, pushFields } from "./parse.ts";
import { DIFF_MARKER, END_MARKER, STALE_MARKER, WAIT_MARKER } from "./script.ts";

/** What differs from the kept listing. */
export interface HostDiff {
  /** Paths whose kept record no longer holds: gone, or changed (then also in `now`). */
  before: Set<string>;
  /** Entries whose record is new or changed, metadata only (no digest, no attributes). */
  now: ManifestEntry[];
}

/** Reads the script's `diff` output: `#wait`s, then `#stale`, or `#diff`, the records and `#end`. */
export class DiffParser {
  private readonly pending: Buffer[] = [];
  private stage: "first" | "records" | "end" = "first";
  stale = false;
  readonly diff: HostDiff = { before: new Set(), now: [] };

  push(chunk: Buffer): void {
    pushFields(this.pending, chunk, (text) => this.field(text));
  }

  private field(text: string): void {
    if (this.stage === "first") {
      if (text === WAIT_MARKER) return;
      if (text === STALE_MARKER) this.stale = true;
      else if (text !== DIFF_MARKER)
        throw new ManifestParseError(
          `unexpected field in a compared listing ${JSON.stringify(text.slice(0, 80))}`,
        );
      this.stage = this.stale ? "end" : "records";
      return;
    }
    if (this.stage === "end") throw new ManifestParseError("a compared listing goes on after its end");
    if (text === END_MARKER) {
      this.stage = "end";
      return;
    }
    // comm -3: a record only in this listing comes after a tab; a path never starts with one.
    const now = text.startsWith("\t");
    const record = now ? text.slice(1) : text;
    const first = record.indexOf("\u0001");
    const second = record.indexOf("\u0001", first + 1);
    if (first === -1 || second === -1 || record.indexOf("\u0001", second + 1) !== -1)
      throw new ManifestParseError(`bad record in a compared listing ${JSON.stringify(text.slice(0, 80))}`);
    const path = record.slice(0, first);
    if (!now) {
      this.diff.before.add(path);
      return;
    }
    const entry = parseMeta(record.slice(first + 1, second), path, record.slice(second + 1));
    if (entry !== undefined) this.diff.now.push(entry);
  }

  /** The difference, or undefined when the host could not compare (then list the whole tree). */
  finish(): HostDiff | undefined {
    if (this.pending.length > 0) throw new ManifestParseError("a compared listing ends mid-record");
    if (this.stage !== "end") throw new ManifestParseError("a compared listing has no end");
    return this.stale ? undefined : this.diff;
  }
}

/**
 * List `paths` (tree, metadata only) on `remote` and compare with the listing kept in `file`
 * (its sha256 `sha256`); undefined when that listing is missing or another one, or the host
 * cannot sort or compare this listing.
 */
export async function diffOnHost(
  remote: Parameters<typeof runManifestScript>[0],
  paths: readonly string[],
  options: Omit<CollectOptions, "mode" | "hash" | "sorted" | "kept">,
  kept: { file: string; sha256: string },
): Promise<HostDiff | undefined> {
  const parser = new DiffParser();
  await runManifestScript(
    remote,
    paths,
    "tree",
    { ...options, mode: "tree", hash: "none", sorted: true, kept: { use: "diff", ...kept } },
    parser,
  );
  return parser.finish();
}

/** A kept listing's sha256, or undefined when the host did not keep it (no `comm -z`, odd names). */
export async function keptListingDigest(
  remote: Remote,
  file: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const result = await remote.run(sh`test -f ${file} && sha256sum < ${file}`, { signal, timeoutMs: 60_000 });
  const digest = result.exitCode === 0 ? result.stdout.slice(0, 64) : "";
  return /^[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}

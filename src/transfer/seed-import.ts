/**
 * `seed import`: a bundle's chunks onto the target. Each chunk is uploaded into the workload's
 * private scratch directory there, its digest computed ON THE TARGET and compared with the
 * index; only a matching chunk is extracted (exactly its listed members), and what it put
 * down is verified against the bundle's manifest. A chunk that does not match — damaged on
 * the disk or on the way — is named, never extracted, and its files are sent again over the
 * link from the source, then verified against the source. Chunks a previous import verified
 * are skipped.
 */
import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { RemoteError } from "../errors.ts";
import { collectManifest } from "../manifest/collect.ts";
import { type ManifestEntry, mismatchedPaths } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { SeedChunk, SeedIndex } from "./seed-bundle.ts";
import { batchTimeoutMs } from "./sync.ts";
import {
  attributeOptions,
  compressBatches,
  keepAttributes,
  rootRedirects,
  sendBatch,
  tarList,
} from "./tar-pipe.ts";
import { appendEvidence, evidenceOf } from "./target-evidence.ts";
import type { Throttle } from "./types.ts";

export type ChunkOutcome =
  /** Digest matched on the target; extracted and verified against the bundle's manifest. */
  | "verified"
  /** Digest did not match on the target: not used; its files were sent over the link. */
  | "damaged-resent"
  /** Verified by an earlier import of the same bundle. */
  | "skipped";

export interface ChunkResult {
  file: string;
  outcome: ChunkOutcome;
  /** Chunk bytes carried on the bundle and used. */
  carried: number;
  /** Bytes sent over the link: a damaged chunk's files, or files the chunk did not match. */
  resent: number;
  /** Digest the target computed, when it was uploaded. */
  targetDigest?: string;
  /** Paths sent again over the link (a damaged chunk's, or ones that did not verify). */
  resentPaths: number;
}

export interface ImportOptions {
  source: Remote;
  target: Remote;
  index: SeedIndex;
  /** The bundle's manifest entries by path. */
  entries: ReadonlyMap<string, ManifestEntry>;
  dir: string;
  /** Private scratch directory on the target for uploaded chunks. */
  staging: string;
  signal: AbortSignal;
  throttle: Throttle;
  /** The workload's paths: the only places a re-sent batch may write on the target. */
  roots: readonly string[];
  /** Chunk files an earlier import of this bundle verified. */
  done: ReadonlySet<string>;
  onChunk: (result: ChunkResult) => Promise<void>;
  /** Where the digests computed on the target are kept for apply's in-place check (target-evidence.ts). */
  evidenceFile?: string;
}

function digestCommand(hash: SeedIndex["hash"], file: string) {
  return hash === "sm3" ? sh`openssl dgst -sm3 -r < ${file}` : sh`sha256sum < ${file}`;
}

/**
 * Upload, hash on the target, extract only when the digest matches; the digest the target saw.
 * `attributes`: restore the ACLs, xattrs and capabilities the chunk carries (the target's tar
 * keeps them), exactly as a transfer's extraction does.
 */
async function placeChunk(options: ImportOptions, chunk: SeedChunk, attributes: boolean): Promise<string> {
  const { target, signal } = options;
  const remoteFile = `${options.staging}/${chunk.file}`;
  const timeoutMs = batchTimeoutMs(chunk.bytes);
  const upload = await target.stream(sh`cat > ${remoteFile}`, { signal, timeoutMs });
  const [sent, uploaded] = await Promise.allSettled([
    pipeline(createReadStream(join(options.dir, chunk.file)), upload.stdin, { signal }),
    upload.done,
  ]);
  if (uploaded.status === "rejected") throw uploaded.reason;
  checkResult(uploaded.value, { what: "uploading a seed chunk", retryable: true });
  if (sent.status === "rejected") throw sent.reason;
  const hashed = await target.check(digestCommand(options.index.hash, remoteFile), { signal, timeoutMs });
  const digest = hashed.stdout.slice(0, 64);
  if (digest === chunk.digest) {
    // Exactly the listed members: a chunk cannot put anything outside the workload's paths; a root
    // the target holds as a symlink to a data disk stays a link (--keep-directory-symlink).
    const extracted = await target.run(
      sh`tar -C / --numeric-owner ${attributeOptions(attributes)} --keep-directory-symlink --null --verbatim-files-from -xpf ${remoteFile} -T - ; s=$?; rm -f ${remoteFile}; exit $s`,
      { stdin: tarList(chunk.paths), signal, timeoutMs },
    );
    // A member missing from the archive (the file vanished at export) fails the extraction:
    // the verification below then finds those paths wrong and sends them from the source.
    if (extracted.exitCode !== 0 && !/Not found in archive/.test(extracted.stderr))
      checkResult(extracted, { what: "extracting a seed chunk", retryable: true });
  } else {
    await target.check(sh`rm -f ${remoteFile}`, { signal, timeoutMs });
  }
  return digest;
}

/** Send `paths` from the source over the link and verify the target holds what the source holds now. */
async function resend(options: ImportOptions, paths: readonly string[], bytesHint: number): Promise<number> {
  const { source, target, signal } = options;
  const timeoutMs = batchTimeoutMs(bytesHint);
  const expected = paths.flatMap((path) => options.entries.get(path) ?? []);
  const [attributes, redirects, compress] = await Promise.all([
    keepAttributes([source, target], expected, signal),
    rootRedirects(target, options.roots, signal),
    compressBatches([source, target], signal),
  ]);
  const { bytes } = await sendBatch(source, target, paths, {
    signal,
    throttle: options.throttle,
    onBytes: () => {},
    timeoutMs,
    roots: options.roots,
    attributes,
    redirects,
    compress,
  });
  const collect = { mode: "list", hash: options.index.hash, signal, timeoutMs } as const;
  const [sourceNow, targetNow] = await Promise.all([
    collectManifest(source, paths, collect),
    collectManifest(target, paths, collect),
  ]);
  const wrong = mismatchedPaths(sourceNow, targetNow);
  if (wrong.length > 0) {
    throw new RemoteError(
      "verify",
      `${wrong.length} file(s) differ on ${target.host} after sending them from ${source.host}, e.g. ${JSON.stringify(wrong[0])}`,
      { host: target.host, command: "verify seed chunk", exitCode: null },
      { retryable: true, hint: "run the import again; it resumes after the chunks already verified" },
    );
  }
  return bytes;
}

async function importChunk(
  options: ImportOptions,
  chunk: SeedChunk,
  attributes: boolean,
): Promise<ChunkResult> {
  // A chunk lost from the disk is as unusable as a damaged one: its files come over the link.
  const targetDigest = existsSync(join(options.dir, chunk.file))
    ? await placeChunk(options, chunk, attributes)
    : "missing";
  if (targetDigest !== chunk.digest) {
    const resent = await resend(options, chunk.paths, chunk.contentBytes);
    return {
      file: chunk.file,
      outcome: "damaged-resent",
      carried: 0,
      resent,
      targetDigest,
      resentPaths: chunk.paths.length,
    };
  }
  const expected = chunk.paths.flatMap((path) => options.entries.get(path) ?? []);
  // The target's clock before it lists and hashes, what the evidence of these digests is dated
  // by; taken a moment after the extraction, so the files it just wrote are not too recent to vouch for.
  const at = (
    await options.target.check(sh`sleep 0.2; date +%s.%N`, { signal: options.signal, timeoutMs: 30_000 })
  ).stdout.trim();
  const actual = await collectManifest(options.target, chunk.paths, {
    mode: "list",
    hash: options.index.hash,
    signal: options.signal,
    timeoutMs: batchTimeoutMs(chunk.contentBytes),
  });
  // A file that changed on the source while it was archived is archived as it was read, not as
  // the manifest says: such paths come from the source over the link.
  const wrong = mismatchedPaths(expected, actual);
  if (options.evidenceFile !== undefined) {
    const differs = new Set(wrong);
    const held = actual.filter((entry) => !differs.has(entry.path));
    await appendEvidence(options.evidenceFile, evidenceOf(held, options.target.host, options.index.hash, at));
  }
  const resent = wrong.length > 0 ? await resend(options, wrong, chunk.contentBytes) : 0;
  return {
    file: chunk.file,
    outcome: "verified",
    carried: chunk.bytes,
    resent,
    targetDigest,
    resentPaths: wrong.length,
  };
}

export async function importSeed(options: ImportOptions): Promise<ChunkResult[]> {
  const { target, signal } = options;
  await target.check(sh`mkdir -p -m 700 ${options.staging}`, { signal, timeoutMs: 30_000 });
  // Refused before any chunk is placed when entries carry attributes the target's tar would drop.
  const attributes = await keepAttributes([target], [...options.entries.values()], signal);
  const results: ChunkResult[] = [];
  for (const chunk of options.index.chunks) {
    signal.throwIfAborted();
    const result = options.done.has(chunk.file)
      ? { file: chunk.file, outcome: "skipped" as const, carried: 0, resent: 0, resentPaths: 0 }
      : await importChunk(options, chunk, attributes);
    results.push(result);
    await options.onChunk(result);
  }
  return results;
}

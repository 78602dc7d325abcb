/**
 * One batch on the wire: GNU tar on the source reads the NUL-separated list from stdin and
 * writes a POSIX (pax) archive — nanosecond mtimes, any name length, numeric owners — which
 * flows through the orchestrator's meter into GNU tar on the target. Nothing is buffered
 * beyond the stream windows, so file size does not matter.
 */
import { finished, pipeline } from "node:stream/promises";
import { BugError, RemoteError } from "../errors.ts";
import type { HashAlgorithm, ManifestEntry } from "../manifest/model.ts";
import { checkResult } from "../remote/check-result.ts";
import { type ShellCommand, sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { MeterStream } from "./meter.ts";
import { parseReceipt, type Receipt, receiptCommand } from "./receipt.ts";
import type { Throttle } from "./types.ts";

/**
 * ACLs, file capabilities, SELinux labels and user xattrs travel as extended attributes; tar
 * keeps only user.* on extraction unless told to take every name.
 */
const ATTRIBUTES = sh`--acls --xattrs --xattrs-include=${"*"}`;

/** tar's options for attributes, when both ends keep them (keepAttributes); else none. */
export function attributeOptions(attributes: boolean): ShellCommand {
  return attributes ? ATTRIBUTES : sh``;
}

/**
 * --verbatim-files-from: a listed name starting with '-' is a name, not an option.
 * --ignore-failed-read: a file deleted on a live source since the manifest is not fatal; the
 * batch verification sees it gone on both sides and accepts that. (A file the login cannot read
 * never gets here: the manifest refuses it.)
 */
export function tarCreate(attributes: boolean, compress = false): ShellCommand {
  return sh`tar -C / --null --verbatim-files-from --no-recursion --ignore-failed-read -H posix --numeric-owner ${attributeOptions(attributes)} ${compression(compress)} -cpf - -T -`;
}

/**
 * zstd at its fastest level, one thread, run by tar itself (so tar's exit status still says
 * what happened). Small files are mostly headers: 100,000 files of 0–4 KiB are 385 MB of
 * archive and 210 MB compressed, for 0.6 s of zstd on the source and 0.3 s on the target,
 * where every byte on the wire costs the relay two decryptions and an encryption (measured:
 * docs/performance.md, "Issue 13 — small-file throughput"). Content that does not compress
 * costs it little: half of that tree is random bytes.
 */
const ZSTD = "zstd -1 -T1 -q";

function compression(compress: boolean): ShellCommand {
  return compress ? sh`--use-compress-program=${ZSTD}` : sh``;
}

/** `^<path>(/|$)` as a sed BRE, and the path as a replacement, with `|` as the delimiter. */
function escapeRegex(text: string): string {
  return text.replace(/[\\.[\]*^$|]/g, (c) => `\\${c}`);
}
function escapeReplacement(text: string): string {
  return text.replace(/[\\&|]/g, (c) => `\\${c}`);
}

/**
 * As root, tar restores owners by default; -p restores modes including setuid bits.
 * Confinement: only members under `members` (the workload's paths this batch touches) are
 * extracted; anything else in the stream is ignored, whatever the source sent. A root that the
 * target holds as a symlink to a directory (a data disk) is written into that directory by
 * renaming the members, so tar neither replaces the link nor follows any other link.
 */
export function tarExtract(
  members: readonly string[],
  attributes: boolean,
  redirects: ReadonlyMap<string, string> = new Map(),
  compress = false,
): ShellCommand {
  const names = members.map(relative);
  const transforms = [...redirects]
    .filter(([root]) => members.includes(root))
    .map(
      ([root, resolved]) =>
        `--transform=flags=rh;s|^${escapeRegex(relative(root))}\\(/\\|$\\)|${escapeReplacement(relative(resolved))}\\1|`,
    );
  return sh`tar -C / -xpf - --numeric-owner ${attributeOptions(attributes)} ${compression(compress)} ${transforms} -- ${names}`;
}

function relative(path: string): string {
  return path.replace(/^\/+/, "") || ".";
}

/** Archive member names are relative to / so extraction never depends on tar's leading-slash handling. */
export function tarList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${relative(path)}\0`).join(""));
}

/** Whether `path` is `root` or lies below it. */
export function insideRoot(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** The roots the paths lie under; a path under none is a bug (nothing may leave the roots). */
export function batchRoots(paths: readonly string[], roots: readonly string[]): string[] {
  const used = new Set<string>();
  for (const path of paths) {
    const root = roots.find((candidate) => insideRoot(path, candidate));
    if (root === undefined)
      throw new BugError(`refusing to send ${path}: it is outside the workload's paths`);
    used.add(root);
  }
  return [...used];
}

/** Whether `command` succeeds on the host, asked once per host (a failure to ask is asked again). */
function probe(
  cache: WeakMap<Remote, Promise<boolean>>,
  remote: Remote,
  command: ShellCommand,
  signal: AbortSignal,
): Promise<boolean> {
  let known = cache.get(remote);
  if (known === undefined) {
    known = remote.run(command, { signal, timeoutMs: 30_000 }).then((result) => result.exitCode === 0);
    cache.set(remote, known);
    known.catch(() => cache.delete(remote));
  }
  return known;
}

const supports = new WeakMap<Remote, Promise<boolean>>();

/** Whether the host's tar can archive and restore ACLs and xattrs (GNU tar 1.27+ built with them). */
export function tarKeepsAttributes(remote: Remote, signal: AbortSignal): Promise<boolean> {
  return probe(
    supports,
    remote,
    sh`tar --usage 2>/dev/null | grep -q -e --xattrs-include && tar --usage | grep -q -e --acls`,
    signal,
  );
}

const zstds = new WeakMap<Remote, Promise<boolean>>();

/** Whether batches travel compressed: both hosts have zstd (else they travel as plain tar). */
export async function compressBatches(hosts: readonly Remote[], signal: AbortSignal): Promise<boolean> {
  const found = await Promise.all(
    hosts.map((host) => probe(zstds, host, sh`command -v zstd >/dev/null 2>&1`, signal)),
  );
  return found.every(Boolean);
}

/**
 * Whether tar on every one of `hosts` keeps ACLs, xattrs and capabilities (the transfer's
 * source and target; a seed bundle's source at export, its target at import). When one cannot
 * and `entries` carry any, the move is refused before anything is sent: they would be dropped
 * and the files would arrive looser.
 */
export async function keepAttributes(
  hosts: readonly Remote[],
  entries: readonly ManifestEntry[],
  signal: AbortSignal,
): Promise<boolean> {
  const keeps = await Promise.all(hosts.map((host) => tarKeepsAttributes(host, signal)));
  const lacking = hosts[keeps.indexOf(false)];
  if (lacking === undefined) return true;
  const carrying = entries.filter((entry) => entry.xattrs !== undefined);
  if (carrying.length === 0) return false;
  throw new RemoteError(
    "remote",
    `${carrying.length} entr(ies) carry ACLs, xattrs or file capabilities (e.g. ${JSON.stringify(carrying[0]!.path)}), but tar on ${lacking.host} cannot keep them`,
    { host: lacking.host, command: "tar --usage", exitCode: null },
    {
      hint: "install GNU tar 1.27 or later with ACL and xattr support on both hosts (Debian/Kylin: tar, acl, attr)",
      retryable: false,
    },
  );
}

/** Roots the target holds as symlinks to directories, with the directories they point to. */
export async function rootRedirects(
  target: Remote,
  roots: readonly string[],
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const script =
    'for p; do if [ -L "$p" ] && [ -d "$p" ]; then printf "%s\\0%s\\0" "$p" "$(readlink -f -- "$p")"; fi; done';
  const result = await target.run(sh`sh -c ${script} roots ${[...roots]}`, { signal, timeoutMs: 30_000 });
  checkResult(result, { what: "looking for symlinked workload paths" });
  const fields = result.stdout.split("\0");
  const redirects = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2)
    redirects.set(fields[index]!, fields[index + 1]!);
  return redirects;
}

export interface SendOptions {
  signal: AbortSignal;
  throttle: Throttle;
  onBytes: (bytes: number) => void;
  timeoutMs: number;
  /** Stop when no byte moved for this long (a stalled stream). */
  idleTimeoutMs?: number;
  /** The paths tar may write on the target: the workload's paths (and its staging files). */
  roots: readonly string[];
  /** Send ACLs, xattrs and capabilities (both tars support them). */
  attributes: boolean;
  /** Roots the target holds as symlinks to directories (rootRedirects). */
  redirects: ReadonlyMap<string, string>;
  /** Compress the archive on the wire (compressBatches). */
  compress: boolean;
  /**
   * Extract through the receiver (receipt.ts), which hashes the members with this algorithm as
   * they arrive and lists what tar wrote: the target needs pythonReceives for it.
   */
  receipt?: HashAlgorithm;
}

export interface SentBatch {
  /** Bytes that crossed the wire (compressed or not). */
  bytes: number;
  /** What the target's receiver saw and listed, when one was asked for and tar succeeded. */
  receipt?: Receipt;
}

/**
 * tar on the target complains about a member name it was told to extract but never saw: the
 * batch's only files under that root vanished on a live source. The batch verification decides.
 */
function onlyVanished(exitCode: number | null, stderr: string): boolean {
  if (exitCode !== 2) return false;
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  return (
    lines.length > 0 &&
    lines.every((line) =>
      /: Not found in archive$|Exiting with failure status due to previous errors/.test(line),
    )
  );
}

/** The target's side of a batch: tar itself, or the receiver feeding it. */
function extraction(members: readonly string[], options: SendOptions): ShellCommand {
  if (options.receipt === undefined)
    return tarExtract(members, options.attributes, options.redirects, options.compress);
  const plain = tarExtract(members, options.attributes, options.redirects, false);
  return receiptCommand(plain, members, options.receipt, options.compress);
}

/** A batch on its way: first its stream, then its extraction. */
export interface BatchFlight {
  /**
   * The bytes that crossed the wire, once the source's tar is done and every byte is on its way
   * to the target, or the stream failed (never rejects): the next batch may start while this
   * one's extraction ends.
   */
  streamed: Promise<number>;
  /** The batch's outcome, once the target's side is done too; every failure surfaces here. */
  landed: Promise<SentBatch>;
}

/** Start streaming the listed paths from source to target. */
export async function launchBatch(
  source: Remote,
  target: Remote,
  paths: readonly string[],
  options: SendOptions,
): Promise<BatchFlight> {
  const streamOptions = {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  };
  const members = batchRoots(paths, options.roots);
  // Both channels open at once (a round trip each, per batch); when one cannot, the other's
  // stdin is closed so its tar ends instead of waiting for a stream that never comes.
  const [extracting, creating] = await Promise.allSettled([
    target.stream(extraction(members, options), streamOptions),
    source.stream(tarCreate(options.attributes, options.compress), streamOptions),
  ]);
  if (extracting.status === "rejected" || creating.status === "rejected") {
    for (const opened of [extracting, creating])
      if (opened.status === "fulfilled") {
        opened.value.stdin.on("error", () => {});
        opened.value.stdin.destroy();
        opened.value.done.catch(() => {});
      }
    throw extracting.status === "rejected" ? extracting.reason : (creating as PromiseRejectedResult).reason;
  }
  const extract = extracting.value;
  const create = creating.value;
  const meter = new MeterStream(options.throttle, options.signal, options.onBytes);
  create.stdin.on("error", () => {});
  create.stdin.end(tarList(paths));
  // The receipt comes after tar has exited: a few hundred bytes per file, read as it comes.
  const receipt: Buffer[] = [];
  extract.stdout.on("data", (chunk: Buffer) => receipt.push(chunk));
  const piped = pipeline(create.stdout, meter, extract.stdin, { signal: options.signal });
  const streamed = Promise.allSettled([piped, create.done]).then(() => meter.bytes);
  const landed = (async (): Promise<SentBatch> => {
    const [pipeResult, created, extracted] = await Promise.allSettled([piped, create.done, extract.done]);
    if (created.status === "rejected") throw created.reason;
    if (extracted.status === "rejected") throw extracted.reason;
    // tar exits 1 when a file changed while it was read; the batch verification decides then.
    // A broken pipe or a reset connection is worth another attempt; the batch is resent whole.
    if ((created.value.exitCode ?? 2) > 1) checkResult(created.value, { what: "tar", retryable: true });
    if (!onlyVanished(extracted.value.exitCode, extracted.value.stderr))
      checkResult(extracted.value, { what: "tar", retryable: true });
    if (pipeResult.status === "rejected") throw pipeResult.reason;
    if (options.receipt === undefined) return { bytes: meter.bytes };
    // The command's close follows its stdout's end on the channel; here, past our transform too.
    const whole = await finished(extract.stdout).then(
      () => true,
      () => false,
    );
    const parsed = whole ? parseReceipt(Buffer.concat(receipt)) : undefined;
    return parsed === undefined ? { bytes: meter.bytes } : { bytes: meter.bytes, receipt: parsed };
  })();
  // Awaited by the caller in order; a failure must not surface as unhandled before that.
  landed.catch(() => {});
  return { streamed, landed };
}

/** Stream the listed paths from source to target, and wait for the target's side too. */
export async function sendBatch(
  source: Remote,
  target: Remote,
  paths: readonly string[],
  options: SendOptions,
): Promise<SentBatch> {
  return (await launchBatch(source, target, paths, options)).landed;
}

/** Small shared pieces of the steps: staging, deadlines, manifests and state in the work directory. */

import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BugError, RemoteError, UserError } from "../errors.ts";
import { type Manifest, type ManifestEntry, sortEntries } from "../manifest/model.ts";
import {
  digestFile,
  type EachEntry,
  type ManifestSummary,
  readEntries,
  readHeader,
  writeManifestFile,
} from "../manifest/store.ts";
import { checkResult } from "../remote/check-result.ts";
import { hashDeadlineMs, hashStallMs } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import type { StepContext } from "./types.ts";

/**
 * Deadlines for small remote operations. Hashing, dumps, restores and transfers have deadlines
 * that follow their size (remote/deadline.ts).
 */
export const QUICK_MS = 30_000;
export const SERVICE_MS = 120_000;

/**
 * Create the workload's staging directory, private to the login (mode 0700), and refuse to use
 * it when it, or any directory above it, is a symlink, is owned by another user (other than
 * root) or is writable by group or others: whoever controls it controls what is restored.
 */
export async function ensureStaging(remote: Remote, dir: string, signal: AbortSignal): Promise<string> {
  const script = `umask 077
mkdir -p -- "$1" || exit 1
me=$(id -u)
d=$1
while [ -n "$d" ] && [ "$d" != / ]; do
  set -- $(stat -c '%u %a %F' -- "$d") || exit 1
  if [ -L "$d" ] || { [ "$1" != 0 ] && [ "$1" != "$me" ]; } || [ $(( 0$2 & 022 )) -ne 0 ]; then
    printf '%s is owned by uid %s with mode %s\n' "$d" "$1" "$2" >&2
    exit 9
  fi
  d=\${d%/*}
done
chmod 700 -- "$0"`;
  const result = await remote.run(sh`sh -c ${script} ${dir} ${dir}`, { signal, timeoutMs: QUICK_MS });
  if (result.exitCode === 9) {
    throw new RemoteError(
      "remote",
      `unsafe staging directory on ${remote.host}: ${result.stderr.trim().split("\n").at(-1)}`,
      { host: remote.host, command: "staging directory", exitCode: 9, stderrTail: result.stderr },
      {
        hint: `another user can change what is staged there; remove it (after checking who created it) and run apply again`,
        retryable: false,
      },
    );
  }
  checkResult(result, {
    what: `creating the staging directory ${dir}`,
    hint: "staging lives under /var/lib; a login that is not root needs `become: sudo` on the host",
  });
  return dir;
}

/**
 * The dump a restore is about to read must be the one that was dumped: its SHA-256 is compared
 * with the digest taken where it was made, just before the restore reads it.
 */
export async function checkDumpDigest(
  remote: Remote,
  file: string,
  expected: string,
  signal: AbortSignal,
  bytes: number,
): Promise<void> {
  // sha256sum prints nothing until the end: the stall window covers reading the whole dump.
  const result = await remote.check(sh`sha256sum < ${file}`, {
    signal,
    timeoutMs: hashDeadlineMs(bytes),
    idleTimeoutMs: hashStallMs(bytes),
  });
  const actual = result.stdout.slice(0, 64);
  if (actual === expected) return;
  throw new RemoteError(
    "remote",
    `the dump ${file} on ${remote.host} does not match its digest (sha256 ${actual}, dumped as ${expected}); refusing to restore it`,
    { host: remote.host, command: "sha256sum", exitCode: 0 },
    {
      hint: "the file was changed after it was dumped; find out who changed it, then run apply again to move a fresh dump",
      retryable: false,
    },
  );
}

/**
 * Which files of a work directory a later step, an undo or a resume reads back (manifests, the
 * in-place list, target evidence, undo state), as opposed to a step's own scratch: listings it
 * removes before it ends, temp files and sort spills. The shared state keeps the former so a
 * runner on another machine can resume the workload.
 */
export function isSharedArtifact(name: string): boolean {
  return !name.startsWith(".") && !name.endsWith(".tmp") && !/listing|vouched/.test(name);
}

/**
 * A journaled artefact path as this machine holds it: the journal names the file where the step
 * that wrote it saved it, which on another runner (its own state directory) is the same name in
 * this workload's work directory.
 */
export function localArtifact(context: Pick<StepContext, "workDir">, file: string): string {
  if (dirname(file) === context.workDir) return file;
  const here = join(context.workDir, basename(file));
  return existsSync(here) ? here : file;
}

/** Where a step saves its manifest in the workload's work directory. */
export async function manifestPath(context: StepContext, label: string): Promise<string> {
  await mkdir(context.workDir, { recursive: true });
  return join(context.workDir, `manifest-${label}.jsonl.gz`);
}

/** Write a manifest held in memory (a small one) like a streamed one; returns its file and digest. */
export async function saveManifest(
  context: StepContext,
  label: string,
  manifest: Manifest,
): Promise<{ file: string; digest: string }> {
  const file = await manifestPath(context, label);
  const saved = await writeManifestFile(file, manifest, sortEntries(manifest.entries));
  await syncDir(context.workDir);
  return { file, digest: saved.digest };
}

/** A saved manifest, read as a stream: its header and its entries in path order. */
export interface ManifestFile {
  file: string;
  hash: Manifest["hash"];
  roots: string[];
  entries(): AsyncIterable<ManifestEntry>;
}

function digestMismatch(file: string, digest: string): UserError {
  return new UserError("journal", `manifest ${file} does not match its journaled digest ${digest}`, {
    hint: "the state directory was changed by hand; run the workload again from a fresh state directory",
  });
}

/**
 * Open a manifest an earlier step saved, refusing one that no longer matches its journaled
 * digest; `each` is told every entry as the digest is checked.
 */
export async function openManifest(file: string, digest: string, each?: EachEntry): Promise<ManifestFile> {
  if ((await digestFile(file, each)) !== digest) throw digestMismatch(file, digest);
  const header = await readHeader(file);
  return { file, hash: header.hash, roots: header.roots, entries: () => readEntries(file) };
}

/** The saved manifest of the latest finished step: the cutover's final one, else the snapshot's. */
export async function latestManifestFile(
  context: StepContext,
  steps: ("cutover" | "snapshot")[],
  workload: string,
  each?: EachEntry,
): Promise<ManifestFile> {
  for (const step of steps) {
    const outputs = context.outputsOf(step);
    if (outputs)
      return openManifest(localArtifact(context, outputs.manifestFile), outputs.manifestDigest, each);
  }
  throw new BugError(`no manifest recorded by ${steps.join(" or ")} for ${workload}`);
}

/** A step's manifest summary saved durably: the journal names the file only after this. */
export async function savedDurably(context: StepContext, summary: ManifestSummary): Promise<ManifestSummary> {
  await syncDir(context.workDir);
  return summary;
}

/** A JSON file in the work directory, for state an undo needs even when its step never finished. */
export async function writeState(context: StepContext, name: string, data: unknown): Promise<void> {
  await writeDurably(context.workDir, join(context.workDir, name), [JSON.stringify(data, null, 2)]);
}

/**
 * Write through a temp file, fsync it, rename it into place and fsync the directory: the journal
 * names a manifest or undo state only after this returns, so after a power loss the file the
 * journal names is there and whole (a rename alone may reach the disk before the data does).
 */
async function writeDurably(dir: string, file: string, chunks: Iterable<string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const handle = await open(`${file}.tmp`, "w");
  try {
    for (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(`${file}.tmp`, file);
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const directory = await open(dir, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

export async function readState<T>(context: StepContext, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(context.workDir, name), "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Runs the manifest script on a host and parses its output as it streams in, so a tree of many
 * files never becomes one big string.
 */
import { RemoteError } from "../errors.ts";
import { checkResult } from "../remote/check-result.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { type HashAlgorithm, type ManifestEntry, sortEntries } from "./model.ts";
import { ManifestParseError, ManifestParser } from "./parse.ts";
import {
  type KeptListing,
  LISTING_FAILED_EXIT,
  type ManifestMode,
  MISSING_ROOT_EXIT,
  manifestCommand,
  nulList,
  ROOT_SYMLINK_EXIT,
  UNREADABLE_EXIT,
} from "./script.ts";

export interface CollectOptions {
  /** `tree`: everything under the paths; `list`: exactly the paths. */
  mode: "tree" | "list";
  hash: HashAlgorithm | "none";
  signal: AbortSignal;
  timeoutMs: number;
  /** Stop when no byte moved for this long (a stalled stream), whatever the whole deadline. */
  idleTimeoutMs?: number;
  /**
   * `refuse` on a source: a workload path that is a symlink would move only the link. A target
   * may hold a path as a symlink to a directory (a data disk): `follow` reads that directory.
   */
  rootLinks?: "refuse" | "follow";
  /** `list` mode: the workload's paths; a listed root is read through a symlink like in `tree`. */
  roots?: readonly string[];
  /** A `tree` listing sorted on the host where it can be, hashes joined in (script.ts). */
  sorted?: boolean;
  /** A sorted listing kept on the host, or compared there with the one kept (script.ts). */
  kept?: KeptListing;
}

const BECOME_HINT =
  "add `become: sudo` to the host in the plan (a login with passwordless sudo), or give the login read access; migrate never skips a file";

export async function collectManifest(
  remote: Remote,
  paths: readonly string[],
  options: CollectOptions,
): Promise<ManifestEntry[]> {
  if (paths.length === 0) return [];
  if (options.mode === "list" && options.roots !== undefined) {
    const roots = new Set(options.roots);
    const top = paths.filter((path) => roots.has(path));
    if (top.length > 0) {
      const rest = paths.filter((path) => !roots.has(path));
      const [tops, others] = await Promise.all([
        collectWith(remote, top, "top", options),
        collectWith(remote, rest, "list", options),
      ]);
      return sortEntries([...tops, ...others]);
    }
  }
  return collectWith(remote, paths, options.mode, options);
}

async function collectWith(
  remote: Remote,
  paths: readonly string[],
  mode: ManifestMode,
  options: CollectOptions,
): Promise<ManifestEntry[]> {
  if (paths.length === 0) return [];
  const parser = new ManifestParser(options.hash !== "none");
  const stderr = await runManifestScript(remote, paths, mode, options, parser);
  const entries = parser.finish();
  if (parser.unhashed.length > 0) await refuseUnhashed(remote, parser.unhashed, options, stderr);
  return entries;
}

/**
 * Runs the manifest script over `paths`, feeding its output to `parser` chunk by chunk and
 * awaiting `drain` after each (a sink writing to disk keeps up that way); failures become typed
 * errors. Returns the script's stderr.
 */
export async function runManifestScript(
  remote: Remote,
  paths: readonly string[],
  mode: ManifestMode,
  options: CollectOptions,
  parser: Pick<ManifestParser, "push">,
  drain?: () => Promise<void>,
): Promise<string> {
  const command = manifestCommand(
    mode,
    options.hash,
    options.rootLinks ?? "follow",
    options.sorted,
    options.kept,
  );
  const handle = await remote.stream(command, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
  let parseError: unknown;
  handle.stdin.on("error", () => {});
  handle.stdin.end(nulList(paths));
  let streamError: unknown;
  try {
    for await (const chunk of handle.stdout) {
      if (parseError) continue;
      try {
        parser.push(chunk as Buffer);
      } catch (error) {
        parseError = error;
      }
      await drain?.();
    }
  } catch (error) {
    // A stream cut short ("Premature close") says nothing by itself; the command's own end
    // (connection lost, timeout, cancel) is the reason, so it is classified from that below.
    streamError = error;
  }
  const result = await handle.done;
  const failure = {
    host: remote.host,
    command: "manifest script",
    exitCode: result.exitCode,
    stderrTail: result.stderr.slice(-2000),
  };
  if (result.exitCode === MISSING_ROOT_EXIT) {
    throw new RemoteError(
      "remote",
      `a workload path does not exist on ${remote.host}: ${result.stderr.trim()}`,
      failure,
      {
        hint: "fix the workload's paths in the plan, or create the path on the host",
        retryable: false,
      },
    );
  }
  if (result.exitCode === UNREADABLE_EXIT) {
    const [count, ...first] = result.stderr.trim().split("\n");
    throw new RemoteError(
      "remote",
      `${count?.replace("unreadable: ", "") ?? "some"} path(s) on ${remote.host} cannot be read by the login, e.g. ${first.map((path) => JSON.stringify(path)).join(", ")}`,
      failure,
      { hint: BECOME_HINT, retryable: false },
    );
  }
  if (result.exitCode === ROOT_SYMLINK_EXIT) {
    const link = result.stderr.trim().split("\n").at(-1) ?? "";
    throw new RemoteError(
      "remote",
      `a workload path on ${remote.host} is a symlink, so only the link would move: ${link}`,
      failure,
      { hint: "list the directory the link points to in the plan's paths instead", retryable: false },
    );
  }
  if (result.exitCode === LISTING_FAILED_EXIT) {
    throw new RemoteError(
      "remote",
      `listing the workload's paths on ${remote.host} failed: ${result.stderr.trim().split("\n").slice(-3).join(" / ")}`,
      failure,
      {
        hint: "an entry that cannot be listed would be left behind; fix the cause on the host (disk, permissions) and run apply again",
        retryable: false,
      },
    );
  }
  checkResult(result, { what: "the manifest script" });
  if (streamError) {
    throw new RemoteError(
      "unreachable",
      `reading the manifest from ${remote.host} was cut short: ${(streamError as Error).message}`,
      failure,
      { retryable: true },
    );
  }
  if (parseError) {
    const message = parseError instanceof ManifestParseError ? parseError.message : String(parseError);
    throw new RemoteError("remote", `cannot read the manifest from ${remote.host}: ${message}`, failure, {
      hint: "rename files whose names are not UTF-8 (e.g. convmv -f gbk -t utf8) before migrating",
      retryable: false,
    });
  }
  return result.stderr;
}

/**
 * Files listed but not hashed: those gone now vanished on a live host (left out, as a file
 * deleted a moment later would be); any still there could not be hashed, and dropping them would
 * lose them silently — an openssl without the algorithm, a read error, NFS root_squash.
 */
export async function refuseUnhashed(
  remote: Remote,
  unhashed: readonly string[],
  options: CollectOptions,
  stderr: string,
): Promise<void> {
  const present = await remote.run(
    sh`xargs -0 -r sh -c ${'for f; do if [ -f "$f" ]; then printf "%s\\0" "$f"; fi; done'} present`,
    { stdin: nulList(unhashed), signal: options.signal, timeoutMs: options.timeoutMs },
  );
  checkResult(present, { what: "checking unhashed files" });
  const still = present.stdout.split("\0").filter((path) => path !== "");
  if (still.length === 0) return;
  const cause = stderr.trim().split("\n").at(-1) ?? "";
  throw new RemoteError(
    "remote",
    `${still.length} file(s) on ${remote.host} could not be hashed with ${options.hash}, e.g. ${JSON.stringify(still[0])}${cause ? `: ${cause}` : ""}`,
    { host: remote.host, command: "manifest script", exitCode: null, stderrTail: stderr.slice(-2000) },
    {
      hint: `check that the host's openssl supports ${options.hash} (openssl list -digest-algorithms) and that the login can read the files`,
      retryable: false,
    },
  );
}

/**
 * Runs the manifest script on a host and parses its output as it streams in, so a tree of many
 * files never becomes one big string.
 */
import { RemoteError } from "../../errors.ts";
import { checkResult } from "../../remote/check-result.ts";
import type { Remote } from "../../remote/types.ts";
import type { HashAlgorithm, ManifestEntry } from "./model.ts";
import { ManifestParseError, ManifestParser } from "./parse.ts";
import { MISSING_ROOT_EXIT, manifestCommand, nulList } from "./script.ts";

export interface CollectOptions {
  /** `tree`: everything under the paths; `list`: exactly the paths. */
  mode: "tree" | "list";
  hash: HashAlgorithm | "none";
  signal: AbortSignal;
  timeoutMs: number;
  /** Stop when no byte moved for this long (a stalled stream), whatever the whole deadline. */
  idleTimeoutMs?: number;
}

export async function collectManifest(
  remote: Remote,
  paths: readonly string[],
  options: CollectOptions,
): Promise<ManifestEntry[]> {
  if (paths.length === 0) return [];
  const command = manifestCommand(options.mode, options.hash);
  const handle = await remote.stream(command, {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
  const parser = new ManifestParser(options.hash !== "none");
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
  return parser.finish();
}

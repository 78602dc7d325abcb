/**
 * Paths are absolute and normalized, with no `..`, NUL or newline: they reach rsync, nginx and
 * remote shells, and a relative or climbing path would touch files nobody reviewed.
 */
import { posix } from "node:path";
import type { Finding, PlanPath } from "../diagnostics.ts";
import { error, type Rule, warning } from "./context.ts";
import { isPrivateKey } from "./secrets.ts";

/**
 * Editors' approximation of pathProblem for the JSON Schema: absolute, no `..` segment, no NUL
 * or newline (normalization is left to `migrate validate`).
 */
export const ABSOLUTE_PATH_PATTERN = "^/(?!(.*/)?\\.\\.(/|$))[^\\n\\r\\u0000]*$";

/** Why `path` is not an acceptable absolute path, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (path.includes("\0")) return "contains a NUL byte";
  if (/[\n\r]/.test(path)) return "contains a newline";
  if (!path.startsWith("/")) return "must be absolute (start with /)";
  if (path.split("/").includes("..")) return "must not contain '..'";
  const normal = posix.normalize(path);
  if (normal !== path && !(path.endsWith("/") && normal === path.slice(0, -1))) {
    return `must be normalized (write ${JSON.stringify(normal)})`;
  }
  return undefined;
}

function check(path: string, at: PlanPath, what: string, out: Finding[]): void {
  const problem = pathProblem(path);
  if (problem) out.push(error("path", `${what} ${JSON.stringify(path)} ${problem}`, at));
}

function isUnder(file: string, dir: string): boolean {
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return file === dir || file.startsWith(base);
}

/**
 * Trees the operating system owns: moving one whole would overwrite the target's own system
 * (its libraries, accounts, package database) with the source's.
 */
const SYSTEM_ROOTS = new Set([
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/proc",
  "/run",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
]);

/**
 * Two workloads on one target whose paths nest: the outer one's final sync deletes what its own
 * source lacks, which is the inner workload's data. Refused, located at the later path.
 * Nested paths within one workload are left alone (redundant, but one sync owns both).
 */
function overlapping(context: Parameters<Rule>[0], out: Finding[]): void {
  const seen: { workload: string; target: string; path: string }[] = [];
  context.plan.workloads.forEach((w, i) => {
    w.paths.forEach((p, j) => {
      const path = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
      for (const other of seen) {
        // Within one workload nested paths are only redundant: one final sync, one source.
        if (other.target !== w.target || other.workload === w.name) continue;
        if (!isUnder(path, other.path) && !isUnder(other.path, path)) continue;
        out.push(
          error(
            "overlapping-paths",
            `path ${JSON.stringify(p)} of workload ${w.name} overlaps ${JSON.stringify(other.path)} of workload ${other.workload} on target ${w.target}`,
            context.workloadPath(i, "paths", j),
            "each workload's final sync deletes what its source lacks inside its paths, so nested paths on one target delete each other's data; give every workload its own directories (or move them as one workload)",
          ),
        );
      }
      seen.push({ workload: w.name, target: w.target, path });
    });
  });
}

export const paths: Rule = (context) => {
  const out: Finding[] = [];
  context.plan.workloads.forEach((w, i) => {
    const at = (...rest: PlanPath) => context.workloadPath(i, ...rest);
    w.paths.forEach((p, j) => {
      check(p, at("paths", j), "path", out);
      if (p === "/" || p === "")
        out.push(
          error(
            "path",
            "refusing to transfer the whole root file system; list the application's directories",
            at("paths", j),
          ),
        );
      else if (SYSTEM_ROOTS.has(p.endsWith("/") ? p.slice(0, -1) : p))
        out.push(
          error(
            "path",
            `refusing to transfer the system tree ${JSON.stringify(p)} whole`,
            at("paths", j),
            "list the application's own directories and files under it (e.g. /etc/portal, /var/lib/portal)",
          ),
        );
    });
    w.rewrite.forEach((rewrite, r) => {
      rewrite.files.forEach((file, f) => {
        const where = at("rewrite", r, "files", f);
        const before = out.length;
        check(file, where, "rewrite file", out);
        if (out.length === before && !w.paths.some((dir) => isUnder(file, dir))) {
          out.push(
            warning(
              "rewrite-outside-paths",
              `rewrite file ${JSON.stringify(file)} is not under any of the workload's paths; it must already exist on the target`,
              where,
            ),
          );
        }
      });
    });
    if (w.cutover?.strategy === "proxy")
      check(w.cutover.upstreamFile, at("cutover", "upstreamFile"), "upstreamFile", out);
  });
  overlapping(context, out);
  const keyFiles = [
    ...context.plan.sources.map((h, i) => ({ h, at: ["sources", context.index.sources[i]!] as PlanPath })),
    ...context.plan.tenants.flatMap((t, ti) =>
      t.hosts.map((h, hi) => ({ h, at: ["tenants", context.index.tenants[ti]!, "hosts", hi] as PlanPath })),
    ),
  ];
  for (const { h, at } of keyFiles) {
    // A key pasted in place of its file's path has its own error (secrets.ts): one mistake, one error.
    if ("keyFile" in h.auth && /[\0\n\r]/.test(h.auth.keyFile) && !isPrivateKey(h.auth.keyFile)) {
      out.push(
        error("path", `keyFile ${JSON.stringify(h.auth.keyFile)} contains a NUL byte or newline`, [
          ...at,
          "auth",
          "keyFile",
        ]),
      );
    }
  }
  return out;
};

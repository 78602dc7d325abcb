/**
 * Measured portability against a tenant's CPU: shared by the plan's CPU rule (`--inventory`)
 * and inventory's drift report, so both say the same thing about the same facts.
 */
import type { Finding, PlanPath } from "./diagnostics.ts";
import {
  foreignNatives,
  hasLinuxNatives,
  type NativeFile,
  nativeLabel,
  type WorkloadPortability,
} from "./portability-facts.ts";
import type { Workload } from "./schema.ts";

const SHOWN = 3;

/** The first thing to do about one native file for `arch`. */
export function stepFor(file: NativeFile, arch: string): string {
  switch (file.kind) {
    case "archive-entry":
      return `rebuild ${file.path} with an ${arch} build of ${file.entry}`;
    case "python-extension":
      return `rebuild ${file.path} for ${arch} (reinstall its Python package on the target)`;
    case "node-addon":
      return `rebuild ${file.path} for ${arch} (npm rebuild on the target)`;
    default:
      return `rebuild ${file.path} for ${arch}`;
  }
}

/** `a (x86_64), b (x86_64) and 4 more`: the first files and their machine. */
export function listNatives(files: readonly NativeFile[], total = files.length): string {
  const shown = files.slice(0, SHOWN).map((f) => `${nativeLabel(f)} (${f.machine})`);
  const more = total - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/** The first target-specific step for a workload moving to `arch`, if it carries foreign code. */
export function firstStep(facts: WorkloadPortability | undefined, arch: string): string | undefined {
  const first = facts ? foreignNatives(facts, arch)[0] : undefined;
  return first ? stepFor(first, arch) : undefined;
}

/**
 * Declared against measured: `portable: true` with code for another CPU is an error; `portable:
 * false` with nothing native found is a warning that the declaration may be too cautious.
 */
export function portabilityFindings(
  workload: Workload,
  tenant: { name: string; arch: string },
  facts: WorkloadPortability,
  at: PlanPath,
): Finding[] {
  const foreign = foreignNatives(facts, tenant.arch);
  if (workload.portable && foreign.length > 0) {
    const machines = [...new Set(foreign.map((f) => f.machine))].join(", ");
    return [
      {
        severity: "error",
        code: "portable-native",
        message: `workload "${workload.name}" is declared portable but carries ${machines} native code that will not run on ${tenant.arch} tenant "${tenant.name}": ${listNatives(foreign)}`,
        path: [...at, "portable"],
        hint: `${stepFor(foreign[0]!, tenant.arch)}; until then set portable: false and choose a tenant on ${foreign[0]!.machine}`,
      },
    ];
  }
  if (!workload.portable && !hasLinuxNatives(facts) && !facts.truncated) {
    const runtimes = facts.runtimes.map((r) => `${r.name}${r.version ? ` ${r.version}` : ""}`);
    return [
      {
        severity: "warning",
        code: "portable-possible",
        message: `workload "${workload.name}" is declared portable: false, but inventory found no CPU-specific files in its paths (${facts.candidates} executables, libraries and archives read)`,
        path: [...at, "portable"],
        hint: `set portable: true if nothing else it needs is native${runtimes.length > 0 ? `; its runtimes (${runtimes.join(", ")}) come from the target's OS` : ""}`,
      },
    ];
  }
  return [];
}

/**
 * What the portability scan of `migrate inventory` records per workload: the CPU-specific files
 * found under its paths (ELF executables and shared objects, native libraries inside Java
 * archives, Python extensions, Node addons) and the runtimes its services start. The CPU rule,
 * `plan` and the sign-off report read these facts; the schema is the one place they are defined.
 */
import { z } from "zod";

export const NATIVE_KINDS = [
  "executable",
  "shared-object",
  "python-extension",
  "node-addon",
  "archive-entry",
] as const;

export const NativeFile = z.object({
  /** The file on the source (for an archive entry: the archive). */
  path: z.string(),
  kind: z.enum(NATIVE_KINDS),
  /**
   * The CPU it was built for, in the plan's names (x86_64, aarch64, loongarch64, mips64el,
   * riscv64, sw_64, i386, ...); `windows` / `macos` for libraries that never load on Linux;
   * `unknown` when the header could not be read.
   */
  machine: z.string(),
  /** The member inside a JAR/WAR/EAR. */
  entry: z.string().optional(),
  /** Where the machine came from: the ELF header, or only the entry's name. */
  from: z.enum(["header", "name"]).default("header"),
});
export type NativeFile = z.infer<typeof NativeFile>;

export const RUNTIME_NAMES = ["java", "python", "php", "node"] as const;

export const Runtime = z.object({
  service: z.string(),
  name: z.enum(RUNTIME_NAMES),
  executable: z.string(),
  version: z.string().optional(),
  machine: z.string().optional(),
});
export type Runtime = z.infer<typeof Runtime>;

export const WorkloadPortability = z.object({
  source: z.string(),
  /** Files whose header was read (executables, libraries, archives). */
  candidates: z.number().int().min(0),
  /** Native files found, in total (the list below keeps the first ones). */
  nativeCount: z.number().int().min(0),
  /** Native files by machine. */
  machines: z.record(z.string(), z.number().int().min(0)),
  native: z.array(NativeFile),
  runtimes: z.array(Runtime),
  /** The scan stopped at its file limit or its deadline: more may exist than was found. */
  truncated: z.boolean(),
});
export type WorkloadPortability = z.infer<typeof WorkloadPortability>;

/** Machines whose code never loads on a Linux tenant of any architecture. */
const FOREIGN_OS = new Set(["windows", "macos"]);

/**
 * The native files that will not run on `arch`. An archive that carries a Linux library for
 * `arch` beside others (multi-platform JARs such as sqlite-jdbc) is fine as a whole.
 */
export function foreignNatives(facts: WorkloadPortability, arch: string): NativeFile[] {
  const archivesWithArch = new Set(
    facts.native.filter((f) => f.kind === "archive-entry" && f.machine === arch).map((f) => f.path),
  );
  return facts.native.filter(
    (f) => f.machine !== arch && !FOREIGN_OS.has(f.machine) && !archivesWithArch.has(f.path),
  );
}

/** Does the workload carry anything CPU-specific for Linux at all? */
export function hasLinuxNatives(facts: WorkloadPortability): boolean {
  return facts.native.some((f) => !FOREIGN_OS.has(f.machine));
}

/** `/srv/tax/bin/ledgerd` or `/srv/lic/lib/x.jar!/native/libx.so`: how a native file is named to people. */
export function nativeLabel(file: NativeFile): string {
  return file.entry ? `${file.path}!/${file.entry}` : file.path;
}

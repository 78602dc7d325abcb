/** What a file's name says about native code: its kind, and the CPU a directory name hints at. */
import type { NativeFile } from "../plan/portability-facts.ts";

const PYTHON_EXTENSION = /\.(cpython-[^/]*|abi3|pypy[^/]*)\.so$/;

/**
 * The kind of an ELF file found on disk, from its name: position-independent executables and
 * libraries share one ELF type, and the scan only reads unnamed files that are executable.
 */
export function nativeKindOf(path: string): NativeFile["kind"] {
  if (PYTHON_EXTENSION.test(path)) return "python-extension";
  if (path.endsWith(".node")) return "node-addon";
  if (/\.so(\.\d+)*$/.test(path)) return "shared-object";
  return "executable";
}

/** Archive members that are native libraries: Linux ones get their header read. */
export function archiveMemberOs(name: string): "linux" | "windows" | "macos" | undefined {
  if (name.endsWith("/")) return undefined;
  if (/\.so(\.\d+)*$/.test(name) || name.endsWith(".node")) return "linux";
  if (/\.dll$/i.test(name)) return "windows";
  if (/\.(dylib|jnilib)$/.test(name)) return "macos";
  return undefined;
}

const HINTS: [RegExp, string][] = [
  [/x86[_-]64|amd64|x64/i, "x86_64"],
  [/aarch64|arm64/i, "aarch64"],
  [/loongarch64|loong64/i, "loongarch64"],
  [/mips64el/i, "mips64el"],
  [/riscv64/i, "riscv64"],
  [/sw_?64/i, "sw_64"],
  [/i[3-6]86|x86(?![_-]?64)/i, "i386"],
];

/** `native/linux-x86_64/libfoo.so` → x86_64: the fallback when a member's header is unreadable. */
export function machineHint(name: string): string | undefined {
  return HINTS.find(([pattern]) => pattern.test(name))?.[1];
}

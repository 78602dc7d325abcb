/**
 * Pure parsers for the portability scan's output (native-scan.sh, archive-entries.sh): ELF
 * headers of files, Java archives' central directories, and the runtime a service starts.
 */
import type { NativeFile, Runtime } from "../plan/portability-facts.ts";
import { hexBytes, parseElfHeader } from "./elf.ts";
import { archiveMemberOs, machineHint, nativeKindOf } from "./native-names.ts";
import { parseCentralDirectory } from "./zip.ts";

/** Native files kept per scanned path; the count goes on beyond it. */
export const NATIVE_LIST_LIMIT = 200;

export interface PathScan {
  /** Files whose header was read. */
  candidates: number;
  /** The scan stopped at its file limit. */
  truncated: boolean;
  nativeCount: number;
  /** Native files by machine (all of them, not only those listed). */
  machines: Record<string, number>;
  native: NativeFile[];
}

/** A Linux library inside an archive whose header a second, small script reads. */
export interface PendingEntry {
  archive: string;
  entry: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

function fields(line: string, count: number): string[] {
  const parts = line.split("\t");
  // The path is last and may itself hold tabs.
  return [...parts.slice(0, count - 1), parts.slice(count - 1).join("\t")];
}

/** One `scan PATH` section: the natives found directly, and archive members still to read. */
export function parseScanSection(body: string): { scan: PathScan; pending: PendingEntry[] } {
  const native: NativeFile[] = [];
  const pending: PendingEntry[] = [];
  let candidates = 0;
  let truncated = false;
  let archive: string | undefined;
  for (const line of body.split("\n")) {
    const tag = line.slice(0, line.indexOf("\t"));
    if (line === "truncated") truncated = true;
    else if (line.startsWith("candidates ")) candidates = Number(line.slice(11)) || 0;
    else if (tag === "e") {
      const [, hex, path] = fields(line, 3);
      const header = hexBytes(hex ?? "");
      const elf = header && parseElfHeader(header);
      if (elf && path) native.push({ path, kind: nativeKindOf(path), machine: elf.machine, from: "header" });
    } else if (tag === "w") {
      native.push({ path: line.slice(2), kind: "python-extension", machine: "windows", from: "name" });
    } else if (tag === "z") {
      archive = fields(line, 4)[3];
    } else if (tag === "c" && archive) {
      const directory = hexBytes(line.slice(2));
      for (const entry of directory ? parseCentralDirectory(directory) : []) {
        const os = archiveMemberOs(entry.name);
        if (os === "linux") {
          pending.push({
            archive,
            entry: entry.name,
            method: entry.method,
            compressedSize: entry.compressedSize,
            localHeaderOffset: entry.localHeaderOffset,
          });
        } else if (os) {
          native.push({ path: archive, kind: "archive-entry", machine: os, entry: entry.name, from: "name" });
        }
      }
      archive = undefined;
    }
  }
  return { scan: { candidates, truncated, nativeCount: native.length, machines: {}, native }, pending };
}

/**
 * archive-entries.sh's `x INDEX HEX` lines → a native file per pending entry: the machine from
 * the ELF header, else from the member's name, else `unknown`.
 */
export function parseArchiveEntries(body: string, pending: readonly PendingEntry[]): NativeFile[] {
  const headers = new Map<number, string>();
  for (const line of body.split("\n")) {
    const [tag, index, hex] = line.split("\t");
    if (tag === "x" && index !== undefined) headers.set(Number(index), hex ?? "");
  }
  return pending.map((entry, i) => {
    const bytes = hexBytes(headers.get(i) ?? "");
    const elf = bytes && parseElfHeader(bytes);
    const hint = machineHint(entry.entry);
    return {
      path: entry.archive,
      kind: "archive-entry",
      entry: entry.entry,
      machine: elf ? elf.machine : (hint ?? "unknown"),
      from: elf ? "header" : "name",
    };
  });
}

const RUNTIMES: [RegExp, Runtime["name"]][] = [
  [/^java$/, "java"],
  [/^python(\d[\d.]*)?$/, "python"],
  [/^php(\d[\d.]*|-fpm[\d.]*)?$/, "php"],
  [/^(node|nodejs)$/, "node"],
];

/** `java version "1.8.0_392"`, `Python 3.11.2`, `PHP 7.4.33 (cli) ...`, `v18.19.0` → the number. */
function versionOf(line: string): string | undefined {
  return /(\d+(?:\.\d+)+(?:[._-][0-9A-Za-z]+)*)/.exec(line)?.[1];
}

/** One `runtime UNIT` section; undefined when the service starts no known runtime. */
export function parseRuntimeSection(service: string, body: string): Runtime | undefined {
  let executable: string | undefined;
  let version: string | undefined;
  let machine: string | undefined;
  for (const line of body.split("\n")) {
    if (line.startsWith("exec ")) executable = line.slice(5);
    else if (line.startsWith("version ")) version = versionOf(line.slice(8));
    else if (line.startsWith("elf ")) {
      const bytes = hexBytes(line.slice(4));
      machine = bytes ? parseElfHeader(bytes)?.machine : undefined;
    }
  }
  const base = executable?.split("/").pop() ?? "";
  const name = RUNTIMES.find(([pattern]) => pattern.test(base))?.[1];
  if (!executable || !name) return undefined;
  return {
    service,
    name,
    executable,
    ...(version ? { version } : {}),
    ...(machine ? { machine } : {}),
  };
}

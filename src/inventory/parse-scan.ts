/**
 * Pure parsers for the portability scan's output (native-scan.sh, read-ranges.sh): ELF headers
 * of files, Java archives' end records, directories and members, the runtime a service starts.
 */
import type { NativeFile, Runtime } from "../plan/portability-facts.ts";
import { ELF_HEADER_BYTES, hexBytes, parseElfHeader } from "./elf.ts";
import { splitHeadStream } from "./head-stream.ts";
import { archiveMemberOs, machineHint, nativeKindOf } from "./native-names.ts";
import { type EndRecord, parseCentralDirectory, parseEndRecord, type ZipEntry } from "./zip.ts";

/** Native files kept per scanned path; the count goes on beyond it. */
export const NATIVE_LIST_LIMIT = 200;

/** native-scan.sh's scan_bytes: a stream this long was cut, and the scan is truncated. */
export const SCAN_STREAM_LIMIT = 8_388_608;

export interface PathScan {
  /** Files whose header was read. */
  candidates: number;
  /** The scan stopped at its size limit. */
  truncated: boolean;
  nativeCount: number;
  /** Native files by machine (all of them, not only those listed). */
  machines: Record<string, number>;
  native: NativeFile[];
}

/** A Java archive and where its central directory is, for the next round trip. */
export interface ArchiveFound {
  path: string;
  end: EndRecord;
}

/** One `scan PATH` section: the natives found from the headers, and the archives to open. */
export function parseScanSection(body: string): { scan: PathScan; archives: ArchiveFound[] } {
  const native: NativeFile[] = [];
  const archives: ArchiveFound[] = [];
  let candidates = 0;
  let truncated = false;
  for (const line of body.split("\n")) {
    const tag = line.slice(0, 2);
    if (tag !== "h\t" && tag !== "t\t") continue;
    const bytes = Buffer.from(line.slice(2), "hex");
    truncated ||= bytes.length >= SCAN_STREAM_LIMIT;
    const chunks = splitHeadStream(bytes, tag === "h\t" ? ELF_HEADER_BYTES : 22);
    candidates += chunks.length;
    for (const { name, content } of chunks) {
      if (tag === "h\t") {
        const elf = parseElfHeader(content);
        if (elf) native.push({ path: name, kind: nativeKindOf(name), machine: elf.machine, from: "header" });
      } else if (name.endsWith(".pyd")) {
        native.push({ path: name, kind: "python-extension", machine: "windows", from: "name" });
      } else {
        const end = parseEndRecord(content);
        if (end) archives.push({ path: name, end });
      }
    }
  }
  return { scan: { candidates, truncated, nativeCount: native.length, machines: {}, native }, archives };
}

/** A Linux library inside an archive, whose first bytes are read next. */
export interface PendingMember {
  archive: string;
  entry: ZipEntry;
}

/** The native members a central directory lists: Linux ones to read, others known by name. */
export function nativeMembers(
  archive: string,
  directory: Uint8Array,
): { known: NativeFile[]; pending: PendingMember[] } {
  const known: NativeFile[] = [];
  const pending: PendingMember[] = [];
  for (const entry of parseCentralDirectory(directory)) {
    const os = archiveMemberOs(entry.name);
    if (os === "linux") pending.push({ archive, entry });
    else if (os)
      known.push({ path: archive, kind: "archive-entry", machine: os, entry: entry.name, from: "name" });
  }
  return { known, pending };
}

/** A Linux member from its first bytes: the machine from the ELF header, else its name, else unknown. */
export function memberNative(member: PendingMember, head: Uint8Array | undefined): NativeFile {
  const elf = head && parseElfHeader(head);
  return {
    path: member.archive,
    kind: "archive-entry",
    entry: member.entry.name,
    machine: elf ? elf.machine : (machineHint(member.entry.name) ?? "unknown"),
    from: elf ? "header" : "name",
  };
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

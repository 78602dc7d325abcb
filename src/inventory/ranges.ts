/**
 * Byte ranges of files on a host in one round trip (read-ranges.sh): the portability scan's
 * reads of Java archives' directories and of their native members' first bytes.
 */
import { readFileSync } from "node:fs";
import { type ShellCommand, sh } from "../remote/shell.ts";

const SCRIPT = readFileSync(new URL("./read-ranges.sh", import.meta.url), "utf8");

export interface FileRange {
  file: string;
  offset: number;
  length: number;
}

/** `sh -c SCRIPT migrate-read-ranges NONCE FILE OFFSET LENGTH ...`, every value quoted. */
export function rangesCommand(nonce: string, ranges: readonly FileRange[]): ShellCommand {
  const args = ranges.flatMap((r) => [r.file, r.offset, r.length]);
  return sh`sh -c ${SCRIPT} migrate-read-ranges ${nonce} ${args}`;
}

/** The bytes of each range by its index; a range that could not be read is empty. */
export function parseRanges(stdout: string, nonce: string): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const marker = new RegExp(`^@@${nonce} (\\d+)@@$`);
  let index: number | undefined;
  let hex: string[] = [];
  const close = () => {
    if (index !== undefined) out.set(index, Buffer.from(hex.join(""), "hex"));
  };
  for (const line of stdout.split("\n")) {
    const match = marker.exec(line);
    if (match) {
      close();
      index = Number(match[1]);
      hex = [];
    } else if (index !== undefined && line !== "end") {
      hex.push(line.replace(/\s+/g, ""));
    }
  }
  close();
  return out;
}

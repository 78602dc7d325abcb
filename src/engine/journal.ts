/**
 * The journal seam: append-only records, each fsynced before `append` returns, so a crash never
 * loses a record the engine acted on. `FileJournal` is the JSONL file; `MemoryJournal` is the
 * same interface for unit tests.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { parseJournal, type TornTail } from "./journal-read.ts";
import type { JournalRecord } from "./journal-record.ts";

export interface Journal {
  /** Every record: those read at open, then those appended. */
  readonly records: readonly JournalRecord[];
  append(record: JournalRecord): void;
  close(): void;
}

export class MemoryJournal implements Journal {
  readonly records: JournalRecord[];
  constructor(records: JournalRecord[] = []) {
    this.records = [...records];
  }
  append(record: JournalRecord): void {
    // A deep copy, as the file journal would store: later mutation by callers must not leak in.
    this.records.push(JSON.parse(JSON.stringify(record)) as JournalRecord);
  }
  close(): void {}
}

export class FileJournal implements Journal {
  readonly records: JournalRecord[];
  /** The torn last record found (and cut off) when the journal was opened, if any. */
  readonly torn: TornTail | undefined;
  readonly path: string;
  #fd: number | undefined;

  private constructor(path: string, fd: number, records: JournalRecord[], torn: TornTail | undefined) {
    this.path = path;
    this.#fd = fd;
    this.records = records;
    this.torn = torn;
  }

  /**
   * Open for appending. Only one writer may do this (the caller holds the state lock). A torn
   * last record is saved beside the journal (`journal.torn-<time>`) and cut off, so the next
   * record starts on a clean line; the caller reports `torn`.
   */
  static open(path: string): FileJournal {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, "a+");
    try {
      const text = readFileSync(path, "utf8");
      const { records, torn } = parseJournal(text, path);
      if (torn) {
        const saved = join(dirname(path), `journal.torn-${new Date().toISOString().replaceAll(":", "")}`);
        writeFileSync(saved, torn.text);
        ftruncateSync(fd, torn.offset);
        fsyncSync(fd);
      } else if (text.length > 0 && !text.endsWith("\n")) {
        writeSync(fd, "\n");
        fsyncSync(fd);
      }
      const created = text.length === 0;
      const journal = new FileJournal(path, fd, records, torn);
      if (created) fsyncDirectory(dirname(path));
      return journal;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  append(record: JournalRecord): void {
    if (this.#fd === undefined) throw new Error("journal is closed");
    // One write per record on an O_APPEND descriptor, then fsync: a record is on disk or torn.
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
    this.records.push(record);
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Make a new file's directory entry durable too. */
function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The journal seam: append-only records; the promise `append` returns settles once the record is
 * fsynced, and the engine awaits it before acting on the record, so a crash never loses a record
 * the engine acted on. `FileJournal` is the JSONL file; `MemoryJournal` is the same interface
 * for unit tests.
 */
import {
  closeSync,
  fsync,
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
  /** Write the record now; resolves when it (and every record before it) is durable. */
  append(record: JournalRecord): Promise<void>;
  close(): Promise<void>;
}

export class MemoryJournal implements Journal {
  readonly records: JournalRecord[];
  constructor(records: JournalRecord[] = []) {
    this.records = [...records];
  }
  async append(record: JournalRecord): Promise<void> {
    // A deep copy, as the file journal would store: later mutation by callers must not leak in.
    this.records.push(JSON.parse(JSON.stringify(record)) as JournalRecord);
  }
  async close(): Promise<void> {}
}

export class FileJournal implements Journal {
  readonly records: JournalRecord[];
  /** The torn last record found (and cut off) when the journal was opened, if any. */
  readonly torn: TornTail | undefined;
  readonly path: string;
  #fd: number | undefined;
  /** The fsync running now, and the one queued behind it for records written meanwhile. */
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;

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

  append(record: JournalRecord): Promise<void> {
    if (this.#fd === undefined) return Promise.reject(new Error("journal is closed"));
    // One write per record on an O_APPEND descriptor (a record is whole or a torn last line),
    // written now so the file order is the call order; durability follows by group commit.
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    this.records.push(record);
    return this.#flush();
  }

  /**
   * Group commit: every caller waits for an fsync that started after its write. Concurrent
   * workloads share one fsync instead of queueing one each, and the event loop (and with it the
   * SSH streams) never blocks on the disk.
   */
  #flush(): Promise<void> {
    if (!this.#inFlight) {
      this.#inFlight = this.#fsync();
      return this.#inFlight;
    }
    this.#next ??= this.#inFlight.then(() => {
      this.#next = undefined;
      this.#inFlight = this.#fsync();
      return this.#inFlight;
    });
    return this.#next;
  }

  #fsync(): Promise<void> {
    const fd = this.#fd as number;
    return new Promise<void>((resolve, reject) => {
      fsync(fd, (error) => {
        this.#inFlight = undefined;
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    await this.#next;
    await this.#inFlight;
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

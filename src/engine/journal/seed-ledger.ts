/**
 * The seed journal: `seed.jsonl` beside the plan's journal, append-only and fsynced like it, one
 * record per chunk exported or imported. It lets an import resume after the chunks it already
 * verified, and gives status and the report the bytes carried by seed and the bytes of damaged
 * chunks sent again over the link. A separate file, so apply's journal format is unchanged.
 */
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { UserError } from "../../errors.ts";
import type { SeedBytes } from "./accounting.ts";
import { planStateDir } from "./state-dir.ts";

const Base = z.object({
  v: z.literal(1),
  at: z.string(),
  op: z.enum(["export", "import"]),
  workload: z.string(),
  /** The bundle's manifest digest: chunk records count only within one bundle. */
  bundle: z.string(),
});

export const SeedRecord = z.discriminatedUnion("type", [
  Base.extend({ type: z.literal("seed-start"), dir: z.string() }),
  Base.extend({
    type: z.literal("seed-chunk"),
    file: z.string(),
    outcome: z.enum(["written", "verified", "damaged-resent"]),
    /** Chunk bytes carried on the bundle (export: written; import: used). */
    carried: z.number(),
    /** Bytes sent over the link instead (a damaged chunk, files that did not verify). */
    resent: z.number(),
    digest: z.string().optional(),
    targetDigest: z.string().optional(),
  }),
  Base.extend({
    type: z.literal("seed-end"),
    status: z.enum(["succeeded", "failed", "interrupted"]),
    message: z.string().optional(),
  }),
]);
export type SeedRecord = z.infer<typeof SeedRecord>;

export function seedJournalPath(root: string, planName: string): string {
  return join(planStateDir(root, planName), "seed.jsonl");
}

/** Every record; a torn last line (a crash mid-write) is ignored, anything else refused. */
export async function readSeedJournal(file: string): Promise<SeedRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  const records: SeedRecord[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (lines.slice(index + 1).every((rest) => rest.trim() === "")) break;
      parsed = undefined;
    }
    const record = SeedRecord.safeParse(parsed);
    if (!record.success) {
      throw new UserError("journal", `${file}:${index + 1}: the seed journal is corrupt`, {
        hint: "restore it from a backup; migrate never rewrites it, so another program changed it",
      });
    }
    records.push(record.data);
  }
  return records;
}

/** Appends fsynced records; the caller holds the state lock. */
export class SeedJournal {
  #fd: number;
  private constructor(fd: number) {
    this.#fd = fd;
  }

  static async open(file: string): Promise<SeedJournal> {
    await mkdir(dirname(file), { recursive: true });
    return new SeedJournal(openSync(file, "a"));
  }

  append(record: SeedRecord): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Chunk files an import of `bundle` already verified (or replaced over the link). */
export function importedChunks(
  records: readonly SeedRecord[],
  workload: string,
  bundle: string,
): Set<string> {
  const done = new Set<string>();
  for (const r of records)
    if (r.type === "seed-chunk" && r.op === "import" && r.workload === workload && r.bundle === bundle)
      done.add(r.file);
  return done;
}

/** Per workload: bytes carried by seed and bytes re-sent over the link, over every import. */
export function seedBytes(records: readonly SeedRecord[]): Map<string, SeedBytes> {
  const result = new Map<string, SeedBytes>();
  for (const r of records) {
    if (r.type !== "seed-chunk" || r.op !== "import") continue;
    const sum = result.get(r.workload) ?? { carried: 0, resent: 0 };
    sum.carried += r.carried;
    sum.resent += r.resent;
    result.set(r.workload, sum);
  }
  return result;
}

/**
 * Seed bundles for disk-carried data (issue 20): export a workload's files from its source into
 * a bundle directory, import the bundle onto its target. Both run under the plan's state lock
 * (never beside an apply) and journal every chunk in seed.jsonl. Everything the operator can get
 * wrong is refused before anything changes: an unknown workload, a non-empty export directory,
 * a bundle of another workload, plan or hash, or a bundle whose manifest does not match it.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.ts";
import { fromJsonl, manifestDigest } from "../../manifest/model.ts";
import { unknownNameHint } from "../../plan/did-you-mean.ts";
import type { Plan, Workload } from "../../plan/schema.ts";
import { hashDeadlineMs } from "../../remote/deadline.ts";
import type { Remote } from "../../remote/types.ts";
import { stagingDir } from "../../steps/staging.ts";
import { treeSize } from "../../steps/tree-size.ts";
import { insideRoots } from "../../transfer/delta.ts";
import {
  readSeedIndex,
  SEED_INDEX,
  SEED_MANIFEST,
  SEED_PARTIAL,
  type SeedIndex,
} from "../../transfer/seed-bundle.ts";
import { exportSeed } from "../../transfer/seed-export.ts";
import { type ChunkResult, importSeed } from "../../transfer/seed-import.ts";
import { EVIDENCE_FILE } from "../../transfer/target-evidence.ts";
import type { Throttle } from "../../transfer/types.ts";
import {
  importedChunks,
  readSeedJournal,
  SeedJournal,
  type SeedRecord,
  seedJournalPath,
} from "../journal/seed-ledger.ts";
import { workloadDir } from "../journal/state-dir.ts";
import { dumpRecordFile, dumpsToExport, placeBundleDumps } from "./seed-dumps.ts";

export interface SeedContext {
  plan: Plan;
  workload: Workload;
  /** State root (the directory holding `<plan>/journal.jsonl`). */
  root: string;
  remote(host: string): Promise<Remote>;
  signal: AbortSignal;
  throttle: Throttle;
  /** One line of progress for the operator (stderr). */
  say(line: string): void;
  /** Every record as it is journaled (`--output json` prints them as NDJSON events). */
  onRecord?(record: SeedRecord): void;
}

/** Open the seed journal so that every append also reaches `onRecord`. */
async function openJournal(context: SeedContext): Promise<Pick<SeedJournal, "append" | "close">> {
  const journal = await SeedJournal.open(seedJournalPath(context.root, context.plan.metadata.name));
  return {
    append(record) {
      journal.append(record);
      context.onRecord?.(record);
    },
    close: () => journal.close(),
  };
}

/** The one workload `--only` names: seed bundles are per workload. */
export function seedWorkload(plan: Plan, only: string | undefined, command: string): Workload {
  const names = (only ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length !== 1) {
    throw new UserError(
      "usage",
      `seed ${command} needs exactly one workload (--only W), got ${names.length}`,
      {
        hint: `bundles are per workload: migrate seed ${command} <plan> --only ${plan.workloads[0]?.name ?? "W"} ...`,
      },
    );
  }
  const workload = plan.workloads.find((w) => w.name === names[0]);
  if (!workload) {
    throw new UserError("usage", `--only names ${names[0]}, which is not a workload of this plan`, {
      hint: unknownNameHint(
        names[0] as string,
        plan.workloads.map((w) => w.name),
        "workloads",
      ),
    });
  }
  return workload;
}

/**
 * An export never mixes two bundles: the directory must be new, empty, or hold an unfinished
 * export (seed.partial.json without seed.json), which is then continued.
 */
export async function checkExportDir(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const present = await readdir(dir);
  if (present.includes(SEED_PARTIAL) && !present.includes(SEED_INDEX)) return;
  if (present.length > 0) {
    throw new UserError("usage", `${dir} is not empty (${present.length} entries, e.g. ${present[0]})`, {
      hint: "export into a new or empty directory; remove an older bundle there first if it is no longer needed",
    });
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Default chunk size: below FAT32's 4 GiB file limit, large enough to keep chunk counts low. */
export const DEFAULT_CHUNK_BYTES = 1024 ** 3;

/** `--chunk-size 512MiB` → bytes. */
export function parseChunkSize(text: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)$/.exec(text.trim());
  const bytes = match ? Number(match[1]) * 1024 ** (["KiB", "MiB", "GiB"].indexOf(match[2]!) + 1) : 0;
  if (bytes < 1024 ** 2 || bytes > 64 * 1024 ** 3) {
    throw new UserError("usage", `--chunk-size ${text} is not a size from 1MiB to 64GiB`, {
      hint: "give a size like 512MiB or 2GiB (FAT32 disks hold files below 4GiB)",
    });
  }
  return bytes;
}

export async function runSeedExport(
  context: SeedContext,
  dir: string,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): Promise<SeedIndex> {
  const { plan, workload } = context;
  await checkExportDir(dir);
  const source = await context.remote(workload.source);
  const journal = await openJournal(context);
  const at = () => new Date().toISOString();
  const base = { v: 1 as const, op: "export" as const, workload: workload.name };
  try {
    context.say(`seed export ${workload.name}: listing and hashing (${workload.hash}) on ${source.host}`);
    const size = await treeSize(source, workload.paths, context.signal);
    const index = await exportSeed({
      source,
      plan: plan.metadata.name,
      workload,
      dir,
      dumps: dumpsToExport(workload, source, context.signal),
      onDump: (dump, bundle) => {
        journal.append({
          ...base,
          type: "seed-chunk",
          at: at(),
          bundle,
          file: dumpRecordFile(dump.database),
          outcome: "written",
          carried: dump.bytes,
          resent: 0,
          digest: dump.digest,
        });
        context.say(
          `  dump of ${dump.database}: ${mib(dump.bytes)} in ${dump.chunks.length} content-defined chunk(s) (${new Set(dump.chunks).size} distinct)`,
        );
      },
      signal: context.signal,
      throttle: context.throttle,
      timeoutMs: hashDeadlineMs(size.bytes),
      chunkBytes,
      onResume: (done, total, bytes) =>
        context.say(
          `  continuing an unfinished export: ${done} of ${total} chunk(s) already written and checked on this disk (chunks of ${mib(bytes)}, as it began)`,
        ),
      onChunk: (chunk, n, total, bundle) => {
        journal.append({
          ...base,
          type: "seed-chunk",
          at: at(),
          bundle,
          file: chunk.file,
          outcome: "written",
          carried: chunk.bytes,
          resent: 0,
          digest: chunk.digest,
        });
        context.say(
          `  ${chunk.file} (${n + 1}/${total}): ${chunk.paths.length} entries, ${mib(chunk.bytes)}`,
        );
      },
    });
    journal.append({
      ...base,
      type: "seed-end",
      at: at(),
      bundle: index.manifestDigest,
      status: "succeeded",
    });
    return index;
  } catch (error) {
    journal.append({
      ...base,
      type: "seed-end",
      at: at(),
      bundle: "pending",
      status: context.signal.aborted ? "interrupted" : "failed",
      message: (error as Error).message,
    });
    throw error;
  } finally {
    journal.close();
  }
}

/** The bundle, checked against the plan and against its own manifest, before anything moves. */
export async function loadBundle(plan: Plan, workload: Workload, dir: string) {
  const index = await readSeedIndex(dir);
  const where = join(dir, SEED_INDEX);
  const refuse = (message: string, hint: string) => new UserError("usage", `${where}: ${message}`, { hint });
  if (index.workload !== workload.name || index.plan !== plan.metadata.name)
    throw refuse(
      `this bundle holds workload ${index.workload} of plan ${index.plan}, not ${workload.name} of ${plan.metadata.name}`,
      "pass the bundle exported for this workload, or the matching --only",
    );
  if (index.hash !== workload.hash)
    throw refuse(
      `the bundle's digests are ${index.hash}, the workload says ${workload.hash}`,
      "export the bundle again with the plan as it is now",
    );
  const outside = index.chunks.flatMap((c) => c.paths).find((path) => !insideRoots(path, workload.paths));
  if (outside !== undefined)
    throw refuse(
      `the bundle holds ${JSON.stringify(outside)}, outside the workload's paths`,
      "export the bundle again with the plan as it is now",
    );
  const manifest = fromJsonl(await readFile(join(dir, SEED_MANIFEST), "utf8"));
  if (manifestDigest(manifest) !== index.manifestDigest)
    throw refuse(
      `${SEED_MANIFEST} does not match the index's manifest digest`,
      "the bundle's manifest was damaged; export the bundle again",
    );
  return { index, entries: new Map(manifest.entries.map((entry) => [entry.path, entry])) };
}

export interface ImportSummary {
  index: SeedIndex;
  chunks: ChunkResult[];
  carried: number;
  resent: number;
  damaged: string[];
}

export async function runSeedImport(context: SeedContext, dir: string): Promise<ImportSummary> {
  const { plan, workload } = context;
  const { index, entries } = await loadBundle(plan, workload, dir);
  const journalFile = seedJournalPath(context.root, plan.metadata.name);
  const done = importedChunks(await readSeedJournal(journalFile), workload.name, index.manifestDigest);
  const [source, target] = await Promise.all([
    context.remote(workload.source),
    context.remote(workload.target),
  ]);
  const journal = await openJournal(context);
  const at = () => new Date().toISOString();
  const base = {
    v: 1 as const,
    op: "import" as const,
    workload: workload.name,
    bundle: index.manifestDigest,
  };
  journal.append({ ...base, type: "seed-start", at: at(), dir });
  if (done.size > 0)
    context.say(`seed import ${workload.name}: resuming, ${done.size} chunk(s) already verified`);
  try {
    const chunks = await importSeed({
      source,
      target,
      index,
      entries,
      dir,
      staging: `${stagingDir(workload.name)}/seed`,
      roots: workload.paths,
      signal: context.signal,
      throttle: context.throttle,
      done,
      // Apply's in-place check then trusts these digests for files unchanged since (same work directory).
      evidenceFile: join(workloadDir(context.root, plan.metadata.name, workload.name), EVIDENCE_FILE),
      onChunk: async (result) => {
        if (result.outcome === "skipped") return;
        journal.append({
          ...base,
          type: "seed-chunk",
          at: at(),
          file: result.file,
          outcome: result.outcome,
          carried: result.carried,
          resent: result.resent,
          ...(result.targetDigest ? { targetDigest: result.targetDigest } : {}),
        });
        const expected = index.chunks.find((chunk) => chunk.file === result.file)?.digest;
        context.say(
          result.outcome === "verified"
            ? `  ${result.file}: verified on ${target.host}${result.resentPaths > 0 ? `; ${result.resentPaths} changed file(s) sent from ${source.host}` : ""}`
            : `  ${result.file}: DAMAGED — ${index.hash} on ${target.host} is ${result.targetDigest}, the bundle says ${expected}; not used, its ${result.resentPaths} entries were sent again over the link from ${source.host} (${mib(result.resent)}) and verified`,
        );
      },
    });
    const dumps = await placeBundleDumps(context, target, index, dir, done, (dump) =>
      journal.append({ ...base, ...dump, type: "seed-chunk", at: at() }),
    );
    journal.append({ ...base, type: "seed-end", at: at(), status: "succeeded" });
    return {
      index,
      chunks,
      carried: [...chunks, ...dumps].reduce((sum, c) => sum + c.carried, 0),
      resent: chunks.reduce((sum, c) => sum + c.resent, 0),
      damaged: [
        ...chunks.filter((c) => c.outcome === "damaged-resent").map((c) => c.file),
        ...dumps.flatMap((d) => d.damaged.map((bad) => `${dumpRecordFile(d.database)}/${bad.chunk}`)),
      ],
    };
  } catch (error) {
    journal.append({
      ...base,
      type: "seed-end",
      at: at(),
      status: context.signal.aborted ? "interrupted" : "failed",
      message: (error as Error).message,
    });
    throw error;
  } finally {
    journal.close();
  }
}

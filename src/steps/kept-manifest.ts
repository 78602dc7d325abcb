/**
 * The final manifest from the snapshot's kept lines, once both hosts compared their trees
 * (final-join.ts): the rows neither host changed go in as they are, every other entry in its
 * final form. It runs on a worker thread of its own (kept-manifest-worker.ts): at a million
 * files compressing and digesting the lines takes seconds of CPU, and on node's main thread it
 * held back the relay of the final sync's send, which it runs beside under the freeze
 * (docs/performance.md, "the send beside the final manifest").
 */
import { Worker, type WorkerOptions } from "node:worker_threads";
import { canonicalLine, comparePaths, type Manifest, type ManifestEntry } from "../manifest/model.ts";
import { linkGroupsOf, type ManifestSummary, ManifestWriter } from "../manifest/store.ts";
import { isKept, snapshotItems } from "./snapshot-lines.ts";
import { patched } from "./tree-change.ts";

/** What the writing needs, as plain data (it crosses to the worker by structured clone). */
export interface KeptManifestJob {
  finalFile: string;
  header: Pick<Manifest, "hash" | "roots">;
  /** The snapshot's kept lines (snapshot-lines.ts). */
  linesFile: string;
  /** The final manifest's hard-linked files, in path order: their groups enter canonical lines. */
  linked: ManifestEntry[];
  /** What the source's host found changed since the snapshot: paths, and their entries now. */
  source: { differs: string[]; now: ManifestEntry[] };
  /** What the target's host found changed since its kept listing, likewise. */
  target: { differs: string[]; now: ManifestEntry[] };
}

const sizeOf = (entry: ManifestEntry) => (entry.type === "file" ? entry.size : undefined);

/** Writes the final manifest of `job` on the calling thread. */
export async function writeKeptManifest(job: KeptManifestJob): Promise<ManifestSummary> {
  const want = await linkGroupsOf(job.linked);
  const sourceDiffers = new Set(job.source.differs);
  const targetDiffers = new Set(job.target.differs);
  // A changed file's entry came hashed from its host; one gone since it was listed has none.
  const hashed = new Map(job.source.now.filter((entry) => entry.type === "file").map((e) => [e.path, e]));
  const now = (entry: ManifestEntry) =>
    entry.type === "file" && entry.hash === undefined ? hashed.get(entry.path) : entry;
  const writer = new ManifestWriter(job.finalFile, job.header, want);
  try {
    const items = snapshotItems(
      job.linesFile,
      (at) => targetDiffers.has(at) || sourceDiffers.has(at),
      [...job.source.now, ...job.target.now].map((entry) => entry.path).sort(comparePaths),
    );
    for await (const item of patched(items, { differs: sourceDiffers, now: job.source.now })) {
      if (isKept(item)) await writer.addRow(item);
      else {
        const final = now(item.entry);
        if (final)
          await writer.addLine(JSON.stringify(final), canonicalLine(final, want(final)), sizeOf(final));
      }
    }
  } catch (error) {
    await writer.discard();
    throw error;
  }
  return writer.close();
}

/**
 * The worker: compiled JavaScript beside this module in dist/; in a checkout (tests, benches,
 * bin/migrate-dev) the TypeScript module, loaded after registering tsx as bin/migrate-dev does.
 */
function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./kept-manifest-worker.js", import.meta.url), options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./kept-manifest-worker.ts", import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/** Writes the final manifest of `job` on a worker thread; settles when it is closed and digested. */
export function writeKeptManifestApart(job: KeptManifestJob): Promise<ManifestSummary> {
  return new Promise((resolve, reject) => {
    let summary: ManifestSummary | undefined;
    const worker = startWorker({
      workerData: job,
      // The worker streams lines: a young generation about the main thread's (bin/migrate's
      // flags) keeps its share of the peak RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    worker.once("message", (message: ManifestSummary) => {
      summary = message;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (summary !== undefined) resolve(summary);
      else reject(new Error(`the final manifest's writer stopped (exit code ${code}) before it was written`));
    });
  });
}

/**
 * Artefacts through the shared state (issue 15), on the dedicated state database of
 * fixtures/fleet/state-db.ts: a 50,000-file workload's manifest (gzip, as the snapshot saves it)
 * and its target evidence (one line per file), as a runner stores them before the journal record
 * that names them and as another runner fetches them on taking the lease over. Baseline in the
 * same run: writing that manifest locally (what the snapshot step itself pays to save it).
 * Also: storing 1 % more evidence (a verified batch's append), and a second fetch where every
 * file is already there (hashed, not fetched). Peak RSS above the start shows memory stays flat.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ArtifactMirror } from "../src/engine/state/artifact-mirror.ts";
import type { ManifestEntry } from "../src/manifest/model.ts";
import { writeManifestFile } from "../src/manifest/store.ts";
import { appendEvidence, type EvidenceRecord, writeEvidence } from "../src/transfer/target-evidence.ts";
import { openDb } from "./team.bench.ts";

const FILES = Number(process.env.BENCH_ARTIFACT_FILES ?? 50_000);
const MIB = 1024 * 1024;

function* entries(): Generator<ManifestEntry> {
  for (let i = 0; i < FILES; i++) {
    yield {
      path: `/srv/app/data/${String(i).padStart(7, "0")}/file-${i}.dat`,
      type: "file",
      size: 1000 + (i % 5000),
      mode: 0o644,
      uid: 1000,
      gid: 1000,
      mtime: `${1_700_000_000 + i}.${String(i * 7919)
        .padStart(10, "0")
        .slice(0, 10)}`,
      hash: (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(64, "0").slice(-64),
      nlink: 1,
      dev: "2049",
      ino: String(100_000 + i),
      ctime: `${1_700_000_000 + i}.${String(i * 104_729)
        .padStart(10, "0")
        .slice(0, 10)}`,
    };
  }
}

function evidence(from: number, count: number): EvidenceRecord[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      host: "tgt-1",
      hash: "sha256",
      path: `/srv/app/data/${String(i).padStart(7, "0")}/file-${i}.dat`,
      dev: "2049",
      ino: String(100_000 + i),
      size: 1000 + (i % 5000),
      mtime: `${1_700_000_000 + i}.0000000000`,
      ctime: `${1_700_000_000 + i}.0000000000`,
      digest: (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(64, "0").slice(-64),
      at: "1800000000.000000000",
    };
  });
}

/** Wall time of `fn` and the peak RSS above the RSS at its start (sampled every 5 ms). */
async function measured<T>(fn: () => Promise<T>): Promise<{ ms: number; peakMiB: number; value: T }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms, peakMiB: (peak - base) / MIB, value };
}

export async function run(): Promise<void> {
  const db = await openDb();
  const dir = mkdtempSync(join(tmpdir(), "artifact-bench-"));
  try {
    await db.pool.query(
      `INSERT INTO runs (run_id, plan, plan_file, plan_text, plan_hash, state, holder, settings)
       VALUES ('r-art', 'bench-art', 'x', 'x', 'x', 'running', '{}', '{}')`,
    );
    await db.pool.query(
      `INSERT INTO work (run_id, plan, workload, wave, host, tenant, depends_on, state, runner, generation)
       VALUES ('r-art', 'bench-art', 'w', 1, 'h', 't', '{}', 'running', 'desk-a', 1)`,
    );
    const fence = { runId: "r-art", plan: "bench-art", workload: "w", runner: "desk-a", generation: 1 };
    const a = join(dir, "a");
    mkdirSync(a);
    const write = await measured(() =>
      writeManifestFile(
        join(a, "manifest-snapshot.jsonl.gz"),
        { hash: "sha256", roots: ["/srv/app"] },
        entries(),
      ),
    );
    await writeEvidence(join(a, "target-evidence.jsonl"), evidence(0, FILES));
    const mirror = new ArtifactMirror(db.pool, fence, { fence }, a);
    const up = await measured(() => mirror.sync());
    const upBytes = mirror.figures.bytesUp;
    const more = Math.ceil(FILES / 100);
    await appendEvidence(join(a, "target-evidence.jsonl"), evidence(FILES, more));
    const append = await measured(() => mirror.sync());
    const appendBytes = mirror.figures.bytesUp - upBytes;

    const taker = { ...fence, runner: "desk-b", generation: 2 };
    const b = join(dir, "b");
    const down = await measured(() => new ArtifactMirror(db.pool, taker, { fence: taker }, b).materialise());
    const again = await measured(() => new ArtifactMirror(db.pool, taker, { fence: taker }, b).materialise());
    const chunks = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM artifact_chunks");

    const ratio = (ms: number) => (ms / write.ms).toFixed(2);
    console.log(
      `${FILES.toLocaleString("en")}-file workload: manifest written locally in ${write.ms.toFixed(0)} ms (baseline)`,
    );
    console.log(
      `store manifest + evidence: ${up.ms.toFixed(0)} ms (${ratio(up.ms)}x), ${(upBytes / MIB).toFixed(2)} MiB in ${chunks.rows[0]?.n} chunk rows, peak RSS +${up.peakMiB.toFixed(1)} MiB`,
    );
    console.log(
      `store ${more} more evidence lines (append): ${append.ms.toFixed(0)} ms, ${(appendBytes / 1024).toFixed(0)} KiB`,
    );
    console.log(
      `fetch on takeover: ${down.ms.toFixed(0)} ms (${ratio(down.ms)}x), ${(down.value.bytesDown / MIB).toFixed(2)} MiB, peak RSS +${down.peakMiB.toFixed(1)} MiB; again with every file present: ${again.ms.toFixed(0)} ms, ${again.value.bytesDown} bytes fetched`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

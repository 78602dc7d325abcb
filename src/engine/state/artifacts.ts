/**
 * Per-workload artefacts in the shared state (table `artifacts`, bytes in `artifact_chunks`): the
 * manifests, target evidence and undo state a step left in its work directory, so a runner on
 * another machine, with its own state directory, can resume the workload. Files travel in
 * chunks of at most CHUNK_BYTES, read and written one at a time, so memory stays flat whatever
 * the manifest's size. A runner's upload is written under its lease: the transaction first
 * holds the lease row (FOR SHARE, as a fenced journal write does) until it commits, so a runner
 * whose lease was taken over has its upload refused by the database.
 */

import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Pool, PoolClient } from "pg";
import { lockPlan } from "./advance.ts";
import { type Fence, LeaseLostError } from "./pg-journal.ts";
import { refuseActive } from "./runs.ts";
import { inTransaction } from "./transaction.ts";

export const CHUNK_BYTES = 1024 * 1024;
/** Chunks fetched per query when downloading: at most this many chunk sizes in memory. */
const PAGE_CHUNKS = 4;

export interface ArtifactKey {
  plan: string;
  workload: string;
  name: string;
}

export interface StoredArtifact {
  name: string;
  digest: string;
  bytes: number;
}

/** What to upload: the file's bytes from `from` to `to`, appended to what is stored when `from` > 0. */
export interface Upload {
  file: string;
  from: number;
  to: number;
  /** sha256 of the bytes before `from`, updated with those sent: the whole file's digest after. */
  hash: Hash;
}

/**
 * Who stores an artefact: a runner under its lease, or `state push` of a file state, which only
 * writes while no run of the plan goes on.
 */
export type ArtifactWriter = { fence: Fence } | { push: string };

/**
 * Hold what makes this writer's upload valid until commit: the runner's lease row (a fence that
 * no longer holds it is refused), or the plan's lock with no run going on.
 */
async function hold(client: PoolClient, writer: ArtifactWriter, plan: string): Promise<void> {
  if ("push" in writer) {
    await lockPlan(client, plan);
    await refuseActive(client, plan);
    return;
  }
  const { fence } = writer;
  const { rowCount } = await client.query(
    `SELECT 1 FROM work WHERE run_id = $1 AND workload = $2 AND runner = $3 AND generation = $4
       AND state = 'running' FOR SHARE`,
    [fence.runId, fence.workload, fence.runner, fence.generation],
  );
  if (rowCount !== 1) throw new LeaseLostError(fence);
}

/**
 * Store (or extend) one artefact for `writer`; returns its digest and size. An append whose
 * stored size is not `from` (another writer's version) is sent whole instead by the caller.
 */
export async function uploadArtifact(
  pool: Pool,
  writer: ArtifactWriter,
  key: ArtifactKey,
  upload: Upload,
): Promise<{ digest: string; bytes: number; appended: boolean }> {
  return inTransaction(pool, async (client) => {
    await hold(client, writer, key.plan);
    const where = [key.plan, key.workload, key.name];
    let n = 0;
    let appended = false;
    if (upload.from > 0) {
      const { rows } = await client.query<{ bytes: string; chunks: number }>(
        "SELECT bytes, chunks FROM artifacts WHERE plan = $1 AND workload = $2 AND name = $3",
        where,
      );
      appended = rows[0] !== undefined && Number(rows[0].bytes) === upload.from;
      if (!appended) return { digest: "", bytes: 0, appended };
      n = rows[0]?.chunks ?? 0;
    } else {
      await client.query(
        "DELETE FROM artifact_chunks WHERE plan = $1 AND workload = $2 AND name = $3",
        where,
      );
    }
    let bytes = upload.from;
    if (upload.to > upload.from) {
      const stream = createReadStream(upload.file, {
        start: upload.from,
        end: upload.to - 1,
        highWaterMark: CHUNK_BYTES,
      });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        upload.hash.update(chunk);
        bytes += chunk.length;
        await client.query(
          "INSERT INTO artifact_chunks (plan, workload, name, n, data) VALUES ($1, $2, $3, $4, $5)",
          [...where, n++, chunk],
        );
      }
    }
    const digest = upload.hash.copy().digest("hex");
    const [runner, generation] =
      "push" in writer ? [writer.push, 0] : [writer.fence.runner, writer.fence.generation];
    await client.query(
      `INSERT INTO artifacts (plan, workload, name, digest, bytes, chunks, runner, generation)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (plan, workload, name) DO UPDATE SET digest = $4, bytes = $5, chunks = $6,
         runner = $7, generation = $8, written_at = clock_timestamp()`,
      [...where, digest, bytes, n, runner, generation],
    );
    return { digest, bytes, appended };
  });
}

/** A workload's stored artefacts and a reader of their bytes, from one consistent snapshot. */
export async function readArtifacts<T>(
  pool: Pool,
  plan: string,
  workload: string,
  body: (stored: StoredArtifact[], chunks: (name: string) => AsyncIterable<Buffer>) => Promise<T>,
): Promise<T> {
  return inTransaction(
    pool,
    async (client) => {
      const { rows } = await client.query<{ name: string; digest: string; bytes: string }>(
        "SELECT name, digest, bytes FROM artifacts WHERE plan = $1 AND workload = $2 ORDER BY name",
        [plan, workload],
      );
      const stored = rows.map((row) => ({ name: row.name, digest: row.digest, bytes: Number(row.bytes) }));
      async function* chunks(name: string): AsyncIterable<Buffer> {
        for (let next = 0; ; ) {
          const page = await client.query<{ n: number; data: Buffer }>(
            `SELECT n, data FROM artifact_chunks WHERE plan = $1 AND workload = $2 AND name = $3
               AND n >= $4 ORDER BY n LIMIT ${PAGE_CHUNKS}`,
            [plan, workload, name, next],
          );
          for (const row of page.rows) yield row.data;
          if (page.rows.length < PAGE_CHUNKS) return;
          next = (page.rows.at(-1)?.n ?? next) + 1;
        }
      }
      return body(stored, chunks);
    },
    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
  );
}

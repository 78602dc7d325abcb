/**
 * Runners' run logs in the shared state: each line (the same scrubbed NDJSON a local apply writes
 * to log.ndjson) is kept by run and workload in `log_lines`. A runner logs synchronously, so the
 * lines are buffered and inserted in batches: every `FLUSH_MS`, at `BATCH_LINES`, and on close.
 */
import type { Pool } from "pg";

const FLUSH_MS = 500;
const BATCH_LINES = 200;

export interface LogLineKey {
  plan: string;
  runId: string;
  workload: string;
  runner: string;
}

/** A pino destination that writes to `log_lines`; `close()` resolves once every line is stored. */
export class SharedLogLines {
  readonly #pool: Pool;
  readonly #key: LogLineKey;
  #buffer: string[] = [];
  #writing: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  constructor(pool: Pool, key: LogLineKey) {
    this.#pool = pool;
    this.#key = key;
    this.#timer = setInterval(() => this.#flush(), FLUSH_MS);
  }

  write(chunk: string): void {
    for (const line of chunk.split("\n")) if (line !== "") this.#buffer.push(line);
    if (this.#buffer.length >= BATCH_LINES) this.#flush();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#flush();
    await this.#writing;
  }

  /** Inserts run one after another, so the ids keep the order the lines were logged in. */
  #flush(): void {
    if (this.#buffer.length === 0) return;
    const lines = this.#buffer;
    this.#buffer = [];
    const { plan, runId, workload, runner } = this.#key;
    this.#writing = this.#writing.then(() =>
      this.#pool
        .query(
          `INSERT INTO log_lines (plan, run_id, workload, runner, line)
           SELECT $1, $2, $3, $4, line FROM unnest($5::text[]) WITH ORDINALITY AS t(line, n) ORDER BY n`,
          [plan, runId, workload, runner, lines],
        )
        // A log that cannot be written must not fail the workload; the journal is the record.
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  }
}

/** The plan's runs that have log lines, oldest first. */
export async function loggedRuns(pool: Pool, plan: string): Promise<string[]> {
  const { rows } = await pool.query<{ run_id: string }>(
    "SELECT run_id FROM log_lines WHERE plan = $1 GROUP BY run_id ORDER BY min(id)",
    [plan],
  );
  return rows.map((row) => row.run_id);
}

/** One run's log lines (of one workload's runners, if given) as log.ndjson text. */
export async function runLogText(
  pool: Pool,
  plan: string,
  runId: string,
  workload?: string,
): Promise<string> {
  const { rows } = await pool.query<{ line: string }>(
    `SELECT line FROM log_lines WHERE plan = $1 AND run_id = $2 AND ($3::text IS NULL OR workload = $3)
     ORDER BY id`,
    [plan, runId, workload ?? null],
  );
  return rows.map((row) => row.line).join("\n");
}

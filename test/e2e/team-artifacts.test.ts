/**
 * Per-workload artefacts through the shared state, on a real PostgreSQL with real runner
 * processes: two runners as on two machines — each its own working directory and state
 * directory, the second without the plan file — and the second resumes the first's transfer
 * from the manifests and evidence the first stored in the database, sending no verified batch
 * again. And the database refuses the artefact upload of a runner whose lease was taken over.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ArtifactMirror } from "../../src/engine/state/artifact-mirror.ts";
import { readArtifacts, uploadArtifact } from "../../src/engine/state/artifacts.ts";
import { LeaseLostError } from "../../src/engine/state/pg-journal.ts";
import { migrateSchema } from "../../src/engine/state/schema.ts";
import { startCli, throttledPlan } from "./apply-support.ts";
import {
  addBulk,
  journalRows,
  type RunnerProcess,
  removeBulk,
  startRunner,
  type TeamDb,
  verifiedBy,
  waitFor,
  withTeamState,
} from "./support/team.ts";

const skipReason = inject("e2eSkipReason");
const PLAN = "fleet-city-bureaus";
const LEASE = ["--hosts", "portal-src", "--lease-seconds", "3"];

/** A desk on its own machine: a working directory and a state directory nobody else uses. */
function desk(name: string): { cwd: string; stateDir: string } {
  const cwd = mkdtempSync(join(tmpdir(), `migrate-${name}-`));
  return { cwd, stateDir: join(cwd, "state") };
}

describe.skipIf(skipReason !== "")("artefacts in the shared state", () => {
  let db: TeamDb;
  let planFile: string;
  const runners: RunnerProcess[] = [];
  withTeamState(
    (fleet, fresh) => {
      db = fresh;
      planFile = throttledPlan(fleet.planFile, "2MiB/s");
    },
    () => runners,
  );
  afterAll(removeBulk);

  it("resumes a SIGKILLed runner's transfer on a runner with its own state directory and no plan file", async () => {
    await addBulk();
    const a = desk("desk-a");
    const b = desk("desk-b");
    const deskA = startRunner(db, "desk-a", [...LEASE, "--state-dir", a.stateDir], { cwd: a.cwd });
    runners.push(deskA);
    const apply = startCli(
      ["apply", planFile, "--yes", "--only", "portal", "--state", db.url, "--output", "plain"],
      db.env,
    );
    await waitFor(
      async () => verifiedBy(await journalRows(db, PLAN), "desk-a"),
      "a verified batch by desk-a",
    );
    deskA.process.kill("SIGKILL");
    // As if on another machine: desk-a's state directory and the operator's plan file are out of
    // desk-b's reach, so desk-b has only the shared state (the stored plan, the artefacts).
    renameSync(a.stateDir, `${a.stateDir}.elsewhere`);
    renameSync(planFile, `${planFile}.away`);
    const deskB = startRunner(db, "desk-b", [...LEASE, "--state-dir", b.stateDir], { cwd: b.cwd });
    runners.push(deskB);

    const done = await apply;
    expect(done.exitCode, `${done.stderr}\n${deskB.output()}`).toBe(0);
    expect(deskB.output()).toContain("took over portal (lease generation 2)");
    expect(deskB.output()).toMatch(/portal: fetched .*manifest-snapshot\.jsonl\.gz.* from the shared state/);
    const work = join(b.stateDir, PLAN, "workloads", "portal");
    expect(readdirSync(work)).toEqual(
      expect.arrayContaining(["manifest-snapshot.jsonl.gz", "target-evidence.jsonl"]),
    );

    const rows = await journalRows(db, PLAN);
    const finish = rows.find((row) => row.record.type === "step-finish" && row.record.step === "transfer");
    expect(finish?.runner).toBe("desk-b");
    const { outputs } = (finish?.record ?? { outputs: {} }) as {
      outputs: { filesSent?: number; filesSkipped?: number };
    };
    // Files of the batches desk-a verified are not sent again; desk-b sends only the rest.
    expect(outputs.filesSkipped).toBeGreaterThan(0);
    expect(outputs.filesSent).toBeLessThan(4500);
    expect(rows.find((row) => row.record.type === "workload-end")).toMatchObject({
      runner: "desk-b",
      record: { status: "succeeded" },
    });
    const verify = rows.find((row) => row.record.type === "step-finish" && row.record.step === "verify");
    expect(verify?.runner).toBe("desk-b");
  });

  it("refuses the artefact upload of a runner whose lease was taken over", async () => {
    await migrateSchema(db.pool);
    const runId = "run-fenced-upload";
    await db.pool.query(
      `INSERT INTO runs (run_id, plan, plan_file, plan_text, plan_hash, state, holder, settings)
       VALUES ($1, 'fenced', '/nowhere/plan.yaml', '', '', 'finished', '{}', '{}')`,
      [runId],
    );
    // Generation 2 holds the lease: desk-a's generation 1 was taken over.
    await db.pool.query(
      `INSERT INTO work (run_id, plan, workload, wave, host, tenant, depends_on, state, runner, generation)
       VALUES ($1, 'fenced', 'portal', 1, 'portal-src', 't', '{}', 'running', 'desk-b', 2)`,
      [runId],
    );
    const dir = mkdtempSync(join(tmpdir(), "migrate-fenced-"));
    const file = join(dir, "rewrites.json");
    writeFileSync(file, "x".repeat(3 * 1024 * 1024 + 5));
    const key = { plan: "fenced", workload: "portal", name: "rewrites.json" };
    const upload = (runner: string, generation: number) =>
      uploadArtifact(db.pool, { fence: { runId, workload: "portal", runner, generation } }, key, {
        file,
        from: 0,
        to: 3 * 1024 * 1024 + 5,
        hash: createHash("sha256"),
      });

    await expect(upload("desk-a", 1)).rejects.toBeInstanceOf(LeaseLostError);
    const none = await db.pool.query("SELECT count(*)::int AS n FROM artifact_chunks WHERE plan = 'fenced'");
    expect(none.rows[0].n).toBe(0);

    const stored = await upload("desk-b", 2);
    const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(stored.digest).toBe(digest);
    const heads = await readArtifacts(db.pool, "fenced", "portal", async (found) => found);
    expect(heads).toEqual([{ name: "rewrites.json", digest, bytes: 3 * 1024 * 1024 + 5 }]);

    // Another desk's directory gets the same bytes back, in chunks.
    const elsewhere = mkdtempSync(join(tmpdir(), "migrate-fenced-b-"));
    const taker = { runId, workload: "portal", runner: "desk-c", generation: 3 };
    const mirror = new ArtifactMirror(
      db.pool,
      { plan: "fenced", workload: "portal" },
      { fence: taker },
      elsewhere,
    );
    const figures = await mirror.materialise();
    expect(figures.fetched).toEqual(["rewrites.json"]);
    expect(
      createHash("sha256")
        .update(readFileSync(join(elsewhere, "rewrites.json")))
        .digest("hex"),
    ).toBe(digest);
  });
});

/**
 * Integrity (issue 6, part 7): damage done on the target behind migrate's back is caught.
 * 1. Before the cutover, one byte of a transferred file is changed on the target with its size
 *    and mtime kept (only a content hash can see it): the cutover must find it, say so, and
 *    put the source's copy back before traffic is switched.
 * 2. The database dump is truncated on the target before it is restored: the run must fail with
 *    a clear reason naming the database, and traffic must never leave the source.
 * Both use the engine's test-only MIGRATE_FAIL_AFTER switch to stop at the right moment.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { hostExec, resetSystems } from "../../fixtures/fleet/index.ts";
import { derivePlan, workloadOf } from "../support/reliability/derived-plan.ts";
import { fleetAddress } from "../support/reliability/host-state.ts";
import { applyArgs, runMigrate } from "../support/reliability/migrate-process.ts";
import { readJournalFile } from "../support/reliability/trial-checks.ts";

const skipReason = inject("e2eSkipReason");

async function resetFleet(): Promise<void> {
  await resetSystems();
  await Promise.all(["tgt-1", "tgt-2"].map((host) => hostExec(host, "systemctl start nginx")));
}

async function upstream(file: string): Promise<string> {
  return (await hostExec("gw", `cat ${file}`)).stdout;
}

describe.skipIf(skipReason !== "")("integrity: damage on the target is caught", () => {
  beforeEach(resetFleet);
  afterAll(resetFleet);

  // Once traffic is switched the target is live and its writes are its own (docs/cutover.md):
  // damage must be caught before that, even when size and mtime say nothing changed. The
  // cutover lists the target once and trusts only what the transfer's evidence vouches for (a
  // byte written changes the ctime): the damaged file is hashed there, found different from the
  // frozen source, sent again and verified on arrival, and the operator is told, before the switch.
  it("a byte changed on the target before the cutover (same size, same mtime) is found, said and put right before the switch", async () => {
    const derived = derivePlan({ workloads: ["portal"], name: "integrity-file" });
    const first = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: { MIGRATE_FAIL_AFTER: "portal/reconfigure" },
      deadlineMs: 120_000,
    });
    expect(first.code, first.stderr).toBe(3);
    expect(await upstream("/etc/nginx/conf.d/portal.upstream")).toContain(
      `server ${fleetAddress("portal-src")}:`,
    );

    const victim = "/srv/portal/htdocs/index.html";
    const source = await hostExec("portal-src", `sha256sum < ${victim}`);
    const before = await hostExec("tgt-1", `stat -c '%s %Y' ${victim} && sha256sum < ${victim}`);
    const flip = await hostExec(
      "tgt-1",
      `f=${victim}; touch -r "$f" /tmp/ref && printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc status=none && touch -r /tmp/ref "$f"`,
    );
    expect(flip.code, flip.stderr).toBe(0);
    const after = await hostExec("tgt-1", `stat -c '%s %Y' ${victim} && sha256sum < ${victim}`);
    const [statBefore, hashBefore] = before.stdout.split("\n");
    const [statAfter, hashAfter] = after.stdout.split("\n");
    expect(statAfter).toBe(statBefore);
    expect(hashAfter).not.toBe(hashBefore);

    const resume = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 120_000 });
    expect(resume.code, resume.stderr).toBe(0);
    const records = readJournalFile(derived.stateDir, derived.planName).records;
    // Said in the run's log, which `migrate logs` shows and the live view prints as a warning.
    const runs = join(derived.stateDir, derived.planName, "runs");
    const said = readdirSync(runs)
      .flatMap((run) => readFileSync(join(runs, run, "log.ndjson"), "utf8").split("\n"))
      .filter((line) => line.includes("differed from what the transfer verified"))
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(said).toEqual([
      { ...said[0], level: "warn", msg: expect.stringContaining(JSON.stringify(victim)) },
    ]);
    const cutover = records.find((r) => r.type === "step-finish" && r.key === "portal/cutover");
    expect(cutover).toBeDefined();
    // Put right before the switch: the switched target serves the source's bytes.
    expect((await hostExec("tgt-1", `sha256sum < ${victim}`)).stdout).toBe(source.stdout);
    expect(await upstream("/etc/nginx/conf.d/portal.upstream")).toContain(`server ${fleetAddress("tgt-1")}:`);
  });

  it("a truncated database dump on the target fails the restore with a clear reason; traffic stays on the source", async () => {
    // The dump path is the subject: the tax database would replicate by default.
    const derived = derivePlan({
      workloads: ["tax-collection"],
      name: "integrity-dump",
      edit: (plan) => {
        for (const db of workloadOf(plan, "tax-collection").databases ?? []) db.mode = "dump";
      },
    });
    const first = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: { MIGRATE_FAIL_AFTER: "tax-collection/transfer" },
      deadlineMs: 150_000,
    });
    expect(first.code, first.stderr).toBe(3);
    const snapshot = readJournalFile(derived.stateDir, derived.planName).records.find(
      (r) => r.type === "step-finish" && r.key === "tax-collection/snapshot",
    );
    const dump = (
      snapshot?.type === "step-finish" && snapshot.step === "snapshot" ? snapshot.outputs.databases : []
    ) as {
      dumpFile: string;
    }[];
    const file = dump[0]!.dumpFile;
    const cut = await hostExec(
      "tgt-2",
      `size=$(stat -c %s ${file}) && truncate -s $((size / 2)) ${file} && stat -c %s ${file}`,
    );
    expect(cut.code, cut.stderr).toBe(0);

    const resume = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 150_000 });
    expect(resume.code).toBe(3);
    const records = readJournalFile(derived.stateDir, derived.planName).records;
    const end = records.filter((r) => r.type === "workload-end").at(-1);
    expect(end).toMatchObject({ status: expect.stringMatching(/failed|rolled-back/) });
    const reason = end?.type === "workload-end" ? (end.reason ?? "") : "";
    expect(reason).toMatch(/tax_collection|dump/);
    expect(reason).toContain("tgt-2");
    // Traffic never left the source, which still serves.
    expect(await upstream("/etc/nginx/conf.d/tax.upstream")).toContain(`server ${fleetAddress("tax-src")}:`);
    expect((await hostExec("tax-src", "systemctl is-active tax")).stdout.trim()).toBe("active");
    const health = await fetch(`http://${fleetAddress("gw")}/tax/health`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(health.status).toBe(200);
  });
});

/**
 * Trust (issue 6, part 5). Host keys: a wrong pinned key, an unknown key (no pin, empty
 * known_hosts) and a changed key (known_hosts holds another key for the address) are refused
 * before authentication — the message names the expected and the actual fingerprint, nothing is
 * logged in on the host, nothing changes on the target. Secrets: with a passphrase-protected
 * client key and a database passwordEnv holding unique canaries, apply, inventory, status,
 * report and logs run; the canaries must appear nowhere — not in the state directory (journal,
 * run logs, manifests, reports), not in anything printed, not in any process command line on
 * any fleet host (polled during the apply).
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, readFleet, resetSystems } from "../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { derivePlan } from "../support/reliability/derived-plan.ts";
import {
  applyArgs,
  type MigrateExit,
  runMigrate,
  startMigrate,
} from "../support/reliability/migrate-process.ts";
import { readJournalFile } from "../support/reliability/trial-checks.ts";

const skipReason = inject("e2eSkipReason");

function fingerprint(host: string): string {
  return readFleet().hosts.find((h) => h.name === host)!.hostKey.ed25519;
}

function allHosts(plan: PlanInput) {
  return [...(plan.sources ?? []), ...(plan.tenants ?? []).flatMap((t) => t.hosts ?? [])];
}

async function logins(host: string): Promise<number> {
  const result = await hostExec(host, "grep -c 'Accepted publickey' /var/log/sshd.log || true");
  return Number(result.stdout.trim() || "0");
}

async function targetUntouched(): Promise<void> {
  const result = await hostExec("tgt-1", "test -e /srv/portal && echo present || echo absent");
  expect(result.stdout.trim()).toBe("absent");
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile());
}

/** apply's trust check: exit 4 before any step, the refusal journaled as the run's end. */
function refusedBeforeAnyStep(
  apply: MigrateExit,
  derived: { stateDir: string; planName: string },
  reason: string,
): void {
  expect(apply.code, apply.stderr).toBe(4);
  expect(apply.stderr).toContain("nothing was changed");
  expect(apply.stderr).toContain(reason);
  const records = readJournalFile(derived.stateDir, derived.planName).records;
  expect(records.filter((r) => r.type === "step-start")).toEqual([]);
  const end = records.find((r) => r.type === "run-end");
  expect(end?.type === "run-end" && [end.status, end.reason?.includes(reason)]).toEqual(["failed", true]);
}

describe.skipIf(skipReason !== "")("trust: host keys and secrets", () => {
  const figures = { refusals: 0, places: 0 };
  beforeAll(async () => {
    await resetSystems();
    await hostExec("tgt-1", "systemctl start nginx");
  });
  afterAll(async () => {
    await resetSystems();
    process.stderr.write(
      `security-trust: ${figures.refusals} host-key refusals, canaries searched in ${figures.places} places\n`,
    );
  });

  it("a wrong pinned key: inventory exits 4 and apply refuses, naming expected and actual fingerprints", async () => {
    const wrong = fingerprint("tgt-2");
    const actual = fingerprint("tgt-1");
    const derived = derivePlan({
      workloads: ["portal"],
      name: "trust-pin",
      edit: (plan) => {
        allHosts(plan).find((h) => h.name === "tgt-1")!.hostKey = wrong;
      },
    });
    const before = await logins("tgt-1");
    const inventory = await runMigrate(["inventory", derived.planFile], { deadlineMs: 90_000 });
    expect(inventory.code, inventory.stderr).toBe(4);
    const said = inventory.stdout + inventory.stderr;
    expect(said).toContain("tgt-1");
    expect(said).toContain(`expected ${wrong}`);
    expect(said).toContain(`got ${actual}`);

    const apply = await runMigrate(applyArgs(derived.planFile, derived.stateDir), { deadlineMs: 120_000 });
    refusedBeforeAnyStep(apply, derived, `expected ${wrong}, got ${actual}`);
    expect(await logins("tgt-1")).toBe(before);
    await targetUntouched();
    figures.refusals += 2;
  });

  it("an unknown key (no pin, empty known_hosts) is refused and not recorded", async () => {
    const derived = derivePlan({
      workloads: ["portal"],
      name: "trust-unknown",
      edit: (plan) => {
        for (const host of allHosts(plan)) delete host.hostKey;
      },
    });
    const knownHosts = join(derived.dir, "known_hosts");
    writeFileSync(knownHosts, "");
    const env = { MIGRATE_KNOWN_HOSTS: knownHosts };
    const before = await logins("tgt-1");
    const inventory = await runMigrate(["inventory", derived.planFile], { env, deadlineMs: 90_000 });
    expect(inventory.code).toBe(4);
    const said = inventory.stdout + inventory.stderr;
    expect(said).toContain("unknown host key for tgt-1");
    expect(said).toContain(fingerprint("tgt-1"));
    const apply = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env,
      deadlineMs: 120_000,
    });
    refusedBeforeAnyStep(apply, derived, "unknown host key for tgt-1");
    expect(readFileSync(knownHosts, "utf8")).toBe("");
    expect(await logins("tgt-1")).toBe(before);
    await targetUntouched();
    figures.refusals += 2;
  });

  it("a changed key (known_hosts holds another key for the address) is refused, naming the known_hosts line", async () => {
    const fleet = readFleet();
    const derived = derivePlan({
      workloads: ["portal"],
      name: "trust-changed",
      edit: (plan) => {
        for (const host of allHosts(plan)) delete host.hostKey;
      },
    });
    // The real known_hosts, except that tgt-1's address carries tgt-2's key (a "reinstalled" host).
    const tgt2Key = readFileSync(
      join(fleet.client.knownHosts, "..", "..", "keys", "tgt-2", "ssh_host_ed25519_key.pub"),
      "utf8",
    )
      .trim()
      .split(" ")
      .slice(0, 2)
      .join(" ");
    const tgt1 = fleet.hosts.find((h) => h.name === "tgt-1")!.address;
    const lines = readFileSync(fleet.client.knownHosts, "utf8")
      .split("\n")
      .filter((line) => line.trim() && !line.startsWith(`${tgt1} `));
    lines.push(`${tgt1} ${tgt2Key}`);
    const knownHosts = join(derived.dir, "known_hosts");
    writeFileSync(knownHosts, `${lines.join("\n")}\n`);
    const inventory = await runMigrate(["inventory", derived.planFile], {
      env: { MIGRATE_KNOWN_HOSTS: knownHosts },
      deadlineMs: 90_000,
    });
    expect(inventory.code).toBe(4);
    const said = inventory.stdout + inventory.stderr;
    expect(said).toContain("REMOTE HOST KEY CHANGED for tgt-1");
    expect(said).toContain(`${fingerprint("tgt-2")} (${knownHosts}:${lines.length})`);
    expect(said).toContain(`got ${fingerprint("tgt-1")}`);
    const apply = await runMigrate(applyArgs(derived.planFile, derived.stateDir), {
      env: { MIGRATE_KNOWN_HOSTS: knownHosts },
      deadlineMs: 120_000,
    });
    refusedBeforeAnyStep(apply, derived, "REMOTE HOST KEY CHANGED for tgt-1");
    await targetUntouched();
    figures.refusals += 2;
  });

  it("secret canaries appear in no log, journal, report, output or remote command line", async () => {
    const fleet = readFleet();
    const dbCanary = `db-canary-${randomBytes(12).toString("hex")}`;
    const wrongPassphrase = `pass-canary-${randomBytes(12).toString("hex")}`;
    const passphrase = fleet.client.passphrase;
    const derived = derivePlan({
      workloads: ["tax-collection"],
      name: "trust-secrets",
      edit: (plan) => {
        for (const host of allHosts(plan)) {
          host.auth = { keyFile: fleet.client.passphraseKeyFile, passphraseEnv: fleet.client.passphraseEnv };
        }
        const tax = plan.workloads![0]!;
        // By dump: the dump and restore clients are what take passwordEnv (replication runs as postgres).
        tax.databases = tax.databases!.map((db) => ({
          ...db,
          passwordEnv: "TAX_DB_PASSWORD",
          mode: "dump" as const,
        }));
      },
    });
    const env = { [fleet.client.passphraseEnv]: passphrase, TAX_DB_PASSWORD: dbCanary };
    const canaries = [passphrase, dbCanary, wrongPassphrase];

    // Remote command lines, sampled on every host while the apply runs; and a digest of the
    // PGPASSWORD the database clients run with (the canary itself must not show in any ps).
    const seen = new Set<string>();
    const clientPasswords = new Set<string>();
    const environOfClients =
      "for p in $(pgrep -x 'pg_dump|pg_restore|psql'); do tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^PGPASSWORD=//p' | sha256sum | cut -c1-64; done";
    let polling = true;
    const poll = (async () => {
      while (polling) {
        await Promise.all(
          fleet.hosts.map(async (host) => {
            const ps = await hostExec(host.name, "ps -eo args", { timeoutMs: 10_000 });
            for (const line of ps.stdout.split("\n")) seen.add(line);
            const digests = await hostExec(host.name, environOfClients, { timeoutMs: 10_000 });
            for (const digest of digests.stdout.split("\n")) if (digest) clientPasswords.add(digest);
          }),
        );
        await sleep(200);
      }
    })();
    const runs: MigrateExit[] = [];
    const apply = startMigrate(applyArgs(derived.planFile, derived.stateDir), { env, deadlineMs: 150_000 });
    runs.push(await apply.done);
    polling = false;
    await poll;
    expect(runs[0]!.code, runs[0]!.stderr).toBe(0);
    // passwordEnv reached the database clients' environment (through stdin, not argv).
    expect(clientPasswords).toContain(createHash("sha256").update(`${dbCanary}\n`).digest("hex"));
    expect(
      [...seen].some(
        (line) => line.includes("pg_dump") || line.includes("pg_restore") || line.includes("tar"),
      ),
    ).toBe(true);

    const state = ["--state-dir", derived.stateDir];
    const report = join(derived.dir, "report.html");
    for (const args of [
      ["inventory", derived.planFile, "--json"],
      ["status", derived.planFile, ...state],
      ["status", derived.planFile, ...state, "--json"],
      ["report", derived.planFile, ...state],
      ["report", derived.planFile, ...state, "--format", "html", "--out", report],
      ["logs", derived.planFile, ...state],
    ]) {
      const run = await runMigrate(args, { env, deadlineMs: 90_000 });
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(0);
      runs.push(run);
    }
    // A wrong passphrase must be reported without echoing it.
    const wrong = await runMigrate(["inventory", derived.planFile], {
      env: { ...env, [fleet.client.passphraseEnv]: wrongPassphrase },
      deadlineMs: 60_000,
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr + wrong.stdout).toContain("could not be decrypted");
    runs.push(wrong);

    const files = filesUnder(derived.dir);
    expect(files.some((f) => f.endsWith("journal.jsonl"))).toBe(true);
    expect(files.some((f) => f.includes("/runs/"))).toBe(true);
    const leaks: string[] = [];
    for (const canary of canaries) {
      for (const file of files) if (readFileSync(file).includes(canary)) leaks.push(`${canary} in ${file}`);
      runs.forEach((run, i) => {
        if ((run.stdout + run.stderr).includes(canary)) leaks.push(`${canary} in output of run ${i}`);
      });
      for (const line of seen)
        if (line.includes(canary)) leaks.push(`${canary} in a remote command line: ${line}`);
    }
    expect(leaks).toEqual([]);
    figures.places += files.length + runs.length * 2 + seen.size;
  }, 240_000);
});

/**
 * Messy fleet, access and staging (issue 11, items 1, 6, 15): ordinary logins with and without
 * sudo, a root-only file, an openssl without SM3, a hostile local user who pre-created
 * /var/tmp/migrate, a dump changed behind migrate's back, and a journal whose tail turned to NUL
 * bytes. Every run is the real `migrate apply` against the fleet's hosts.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { readFleet } from "../../fixtures/fleet/index.ts";
import { LOGINS, MESSY_PORTAL } from "../../fixtures/fleet/messy.ts";
import { Plan } from "../../src/plan/schema.ts";
import { planHosts, SshPool } from "../../src/remote/pool.ts";
import { sh as rsh } from "../../src/remote/shell.ts";
import { runCli } from "./apply-support.ts";
import { exists, loginAs, onlyWorkloads, said } from "./support/messy-fleet.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const REPO = join(import.meta.dirname, "../..");

describe.skipIf(skipReason !== "")("messy fleet: logins, privilege and staging", () => {
  beforeAll(resetFleet);
  afterAll(resetFleet);

  it("item 1: a file the login cannot read is refused at the snapshot, by count and name, with the remedy", async () => {
    const { planFile, stateDir } = preparePlan((plan) => {
      onlyWorkloads(plan, ["portal"]);
      loginAs(plan, "portal-src", "plain", false);
    });
    const result = await apply(planFile, stateDir);
    const text = said(result);
    expect(result.exitCode, text.slice(-2000)).toBe(3);
    expect(text).toMatch(
      /2 path\(s\) on portal-src cannot be read by the login, e\.g\. .*ledger\.csv.*keys\.conf/,
    );
    expect(text).toContain(MESSY_PORTAL.rootOnly);
    const records = journal(stateDir);
    const failure = records.find((r) => r.type === "step-fail" && r.key === "portal/snapshot");
    expect(JSON.stringify(failure)).toMatch(/"hint":"add `become: sudo` to the host in the plan/);
    expect(finished(records, "portal/transfer")).toBeUndefined();
    expect(await exists("tgt-1", "/srv/portal")).toBe(false);
  });

  it("item 1: the plain output and the report give the refusal's remedy, one line each", async () => {
    const { planFile, stateDir } = preparePlan((plan) => {
      onlyWorkloads(plan, ["portal"]);
      loginAs(plan, "portal-src", "plain", false);
    });
    const result = await runCli(["apply", planFile, "--yes", "--state-dir", stateDir, "--output", "plain"]);
    expect(result.exitCode, result.stderr.slice(-2000)).toBe(3);
    const remedy =
      /^\d\d:\d\d:\d\d \S+ portal snapshot: hint: add `become: sudo` to the host in the plan.*migrate never skips a file$/m;
    expect(result.stderr).toMatch(remedy);
    expect(result.stderr.match(/hint:/g)).toHaveLength(1);
    const report = await runCli(["report", planFile, "--state-dir", stateDir]);
    expect(report.exitCode, report.stderr).toBe(0);
    expect(report.stdout).toMatch(
      /^- portal snapshot: add `become: sudo` to the host in the plan.*never skips a file$/m,
    );
  });

  it("item 1: become: sudo on a login without passwordless sudo is refused before any step", async () => {
    const { planFile, stateDir } = preparePlan((plan) => {
      onlyWorkloads(plan, ["portal"]);
      loginAs(plan, "tgt-1", "plain", true);
    });
    const result = await apply(planFile, stateDir);
    const text = said(result);
    expect(result.exitCode, text.slice(-2000)).toBe(4);
    expect(text).toMatch(/nothing was changed: become: sudo on tgt-1 failed: sudo: .*password/);
    expect(journal(stateDir).some((record) => record.type === "step-start")).toBe(false);
    expect((await sh("portal-src", "systemctl is-active nginx")).stdout.trim()).toBe("active");
  });

  it("item 1: hash sm3 on an openssl without SM3 fails loudly with the host and the cause", async () => {
    // The host's openssl as a build without SM3 answers (a real distribution build may lack it).
    const fake = "/usr/local/bin/openssl";
    await sh(
      "portal-src",
      `printf '#!/bin/sh\\ncase " $* " in *" -sm3 "*) echo "dgst: Unknown option or message digest: sm3" >&2; exit 1;; esac\\nexec /usr/bin/openssl "$@"\\n' > ${fake} && chmod 755 ${fake}`,
    );
    try {
      const { planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["portal"]);
        plan.workloads![0]!.hash = "sm3";
      });
      const result = await apply(planFile, stateDir);
      const text = said(result);
      expect(result.exitCode, text.slice(-2000)).toBe(3);
      expect(text).toMatch(
        /file\(s\) on portal-src could not be hashed with sm3, e\.g\. .*: dgst: Unknown option or message digest: sm3/,
      );
      expect(await exists("tgt-1", "/srv/portal")).toBe(false);
    } finally {
      await sh("portal-src", `rm -f ${fake}`);
    }
  });

  it("item 1: a become command that times out is killed as root, leaving nothing running", async () => {
    const plan = Plan.parse(parse(readFileSync(readFleet().planFile, "utf8")));
    const hosts = planHosts(plan).map((h) =>
      h.name === "portal-src" ? { ...h, user: LOGINS.sudoer.name, become: "sudo" as const } : h,
    );
    const pool = new SshPool({ hosts, knownHostsFile: readFleet().client.knownHosts });
    try {
      const who = await pool.remote("portal-src").check(rsh`id -u`);
      expect(who.stdout.trim()).toBe("0");
      const slow = await pool.remote("portal-src").run(rsh`sleep 303`, { timeoutMs: 1500 });
      expect(slow.timedOut).toBe(true);
    } finally {
      await pool.close();
    }
    expect((await sh("portal-src", "pgrep -f 'sleep [3]03' || true")).stdout).toBe("");
  });

  describe("a portal moved by sudo logins on both ends (become: sudo)", () => {
    let stateDir: string;
    let planFile: string;
    let result: Awaited<ReturnType<typeof apply>>;
    let trace: string;

    beforeAll(async () => {
      await resetFleet();
      ({ planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["portal"]);
        loginAs(plan, "portal-src", "sudoer", true);
        loginAs(plan, "tgt-1", "sudoer", true);
      }));
      // strace -y names the file behind each fsync'd descriptor: the durability claim is observed.
      const traceFile = join(stateDir, "..", "fsync.trace");
      result = await execa(
        "strace",
        [
          "-f",
          "-y",
          "-qq",
          "-e",
          "trace=fsync,fdatasync",
          "-o",
          traceFile,
          join(REPO, "bin/migrate"),
          "apply",
          planFile,
          "--yes",
          "--state-dir",
          stateDir,
          "--output",
          "json",
        ],
        { reject: false, cwd: REPO },
      );
      trace = readFileSync(traceFile, "utf8");
    });

    it("item 1: moves the root-only file with its owner and mode", async () => {
      expect(result.exitCode, said(result).slice(-2000)).toBe(0);
      expect((await sh("tgt-1", `stat -c '%U %a' ${MESSY_PORTAL.rootOnly}`)).stdout.trim()).toBe("root 600");
      const sums = `sha256sum < ${MESSY_PORTAL.rootOnly}`;
      expect((await sh("tgt-1", sums)).stdout).toBe((await sh("portal-src", sums)).stdout);
    });

    it("item 15: fsyncs each manifest and undo state before the journal names it", () => {
      expect(result.exitCode).toBe(0);
      for (const name of [
        "manifest-snapshot.jsonl.gz.tmp",
        "manifest-final.jsonl.gz.tmp",
        "rewrites.json.tmp",
      ])
        expect(trace, name).toMatch(new RegExp(`fsync\\(\\d+<[^>]*/${name.replaceAll(".", "\\.")}>\\) = 0`));
    });

    it("item 15: a journal tail of NUL bytes (lost blocks after a power cut) is torn, not refused", async () => {
      const file = join(stateDir, "fleet-city-bureaus", "journal.jsonl");
      const before = journal(stateDir).length;
      appendFileSync(file, Buffer.alloc(4096));
      const again = await apply(planFile, stateDir);
      expect(again.exitCode, said(again).slice(-2000)).toBe(0);
      expect(journal(stateDir).length).toBeGreaterThan(before);
    });
  });

  describe("a database workload with a hostile local user on both hosts", () => {
    let stateDir: string;
    let planFile: string;
    let tampered: Awaited<ReturnType<typeof apply>>;
    let final: Awaited<ReturnType<typeof apply>>;
    let dump: string;

    beforeAll(async () => {
      await resetFleet();
      ({ planFile, stateDir } = preparePlan((plan) => {
        onlyWorkloads(plan, ["tax-collection"]);
        // The dump files are the subject: the tax database would replicate by default.
        for (const db of plan.workloads?.[0]?.databases ?? []) db.mode = "dump";
      }));
      const first = await apply(planFile, stateDir, [], { MIGRATE_FAIL_AFTER: "tax-collection/transfer" });
      expect(finished(journal(stateDir), "tax-collection/transfer"), said(first).slice(-2000)).toBeDefined();
      const databases = finished(journal(stateDir), "tax-collection/snapshot")?.databases as {
        dumpFile: string;
      }[];
      dump = databases[0]!.dumpFile;
      // Someone appends to the dump on the target before it is restored.
      await sh("tgt-2", `printf 'trailing bytes' >> '${dump}'`);
      tampered = await apply(planFile, stateDir);
      await sh("tgt-2", `truncate -s -14 '${dump}'`);
      final = await apply(planFile, stateDir);
    });

    it("item 6: a dump changed after it was dumped is refused before the restore", () => {
      const text = said(tampered);
      expect(tampered.exitCode, text.slice(-2000)).toBe(3);
      expect(text).toMatch(/the dump .* on tgt-2 does not match its digest/);
    });

    it("item 6: stages nothing in the hostile user's /var/tmp/migrate, privately elsewhere, and cleans up", async () => {
      expect(final.exitCode, said(final).slice(-2000)).toBe(0);
      expect(dump.startsWith("/var/tmp/")).toBe(false);
      for (const host of ["tax-src", "tgt-2"]) {
        expect((await sh(host, "find /var/tmp/migrate -mindepth 1")).stdout, host).toBe("");
        expect(
          (await sh(host, `stat -c '%U %a' '${dump.replace(/\/[^/]*$/, "")}'`)).stdout.trim(),
          host,
        ).toBe("root 700");
        expect((await sh(host, `find '${dump.replace(/\/[^/]*$/, "")}' -name '*.dump'`)).stdout, host).toBe(
          "",
        );
      }
    });
  });
});

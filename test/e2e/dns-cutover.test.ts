/**
 * The dns cutover on the fleet's BIND server (named on the gateway host): apply moves the
 * licensing system's name to the target with a TSIG-signed RFC 2136 update; a failing verify
 * points it back at the source by itself; a key the server does not know fails the cutover at
 * once, journaled with the server's reason, and leaves the name on the source.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hostExec, readFleet } from "../../fixtures/fleet/index.ts";
import type { PlanInput } from "../../src/plan/schema.ts";
import { workloadOf } from "../support/reliability/derived-plan.ts";
import { applyDerived, type DerivedRun, outputsOf, printed } from "./support/derived-apply.ts";
import { address, resetFleet } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");

/** What the DNS server itself answers for the licensing name (dig: no resolver cache between). */
async function licensingAnswers(): Promise<string> {
  const { dns } = readFleet();
  const name = `licensing.${dns.zone}`;
  const args = ["+short", "+time=2", "+tries=1", "-p", String(dns.port), `@${dns.server}`, name, "A"];
  return (await execa("dig", args)).stdout.trim();
}

type Verify = Extract<NonNullable<PlanInput["workloads"]>[number]["verify"], unknown[]>;

/** Licensing with a dns cutover; verify looks at the target directly (the gateway is not involved). */
function applyWithDns(name: string, keyFile: string, extraVerify: Verify = []): Promise<DerivedRun> {
  const fleet = readFleet();
  return applyDerived({
    workloads: ["licensing"],
    name,
    edit: (plan) => {
      const licensing = workloadOf(plan, "licensing");
      licensing.cutover = {
        strategy: "dns",
        server: fleet.dns.server,
        zone: fleet.dns.zone,
        record: "licensing",
        ttl: 30,
        keyFile,
      };
      const url = `http://${address("tgt-3")}:${fleet.seed.licensing.appPort}/health`;
      licensing.verify = [{ http: { url, status: 200, contains: "ok" } }, ...(extraVerify ?? [])];
    },
  });
}

describe.skipIf(skipReason !== "")("dns cutover on the fleet's BIND server", () => {
  afterAll(resetFleet);

  describe("apply", () => {
    let run: DerivedRun;

    beforeAll(async () => {
      await resetFleet();
      expect(await licensingAnswers()).toBe(address("lic-src"));
      run = await applyWithDns("dns-cutover", readFleet().dns.keyFile);
    });

    it("finishes and journals the switch to the target's address", () => {
      expect(run.exit.code, printed(run)).toBe(0);
      expect(outputsOf(run.records, "licensing/cutover")?.traffic).toEqual({
        strategy: "dns",
        record: "licensing",
        pointsAt: address("tgt-3"),
      });
    });

    it("makes the server answer the target's address", async () => {
      expect(await licensingAnswers()).toBe(address("tgt-3"));
    });
  });

  describe("a failing verify", () => {
    let run: DerivedRun;

    beforeAll(async () => {
      await resetFleet();
      run = await applyWithDns("dns-rollback", readFleet().dns.keyFile, [
        { command: { host: "tgt-3", run: "test -f /srv/licensing/never-there" } },
      ]);
    });

    it("rolls the workload back by itself", () => {
      expect(run.exit.code, printed(run)).toBe(3);
      const failure = run.records.find((r) => r.type === "step-fail" && r.key === "licensing/verify");
      expect(failure).toMatchObject({ willRetry: false, error: { kind: "verify" } });
      const end = run.records.find((r) => r.type === "workload-end" && r.workload === "licensing");
      expect(end).toMatchObject({ status: "rolled-back" });
    });

    it("points the name at the source again", async () => {
      expect(await licensingAnswers()).toBe(address("lic-src"));
    });
  });

  describe("a TSIG key the server does not know", () => {
    let run: DerivedRun;

    beforeAll(async () => {
      await resetFleet();
      const { dns } = readFleet();
      // Same key name, another secret: what a stale or mistyped key file looks like.
      const wrongKey = join(mkdtempSync(join(tmpdir(), "dns-wrong-key-")), "cutover.key");
      const secret = Buffer.alloc(32, 7).toString("base64");
      writeFileSync(
        wrongKey,
        `key "${dns.keyName}" {\n\talgorithm hmac-sha256;\n\tsecret "${secret}";\n};\n`,
      );
      run = await applyWithDns("dns-wrong-key", wrongKey);
    });

    it("fails the cutover at once with the server's refusal in the journal", () => {
      expect(run.exit.hung).toBe(false);
      expect(run.exit.code, printed(run)).toBe(3);
      const failure = run.records.find((r) => r.type === "step-fail" && r.key === "licensing/cutover");
      expect(failure, printed(run)).toMatchObject({
        willRetry: false,
        error: { kind: "remote", retryable: false, command: "nsupdate", host: readFleet().dns.server },
      });
      const error = failure?.type === "step-fail" ? failure.error : undefined;
      expect(error?.message).toMatch(/nsupdate could not point licensing\.city\.gov\.local .*BADSIG/);
      expect(error?.hint).toContain("TSIG key");
    });

    it("rolls back without an update, leaving the name on the source and the source serving", async () => {
      const end = run.records.find((r) => r.type === "workload-end" && r.workload === "licensing");
      expect(end).toMatchObject({ status: "rolled-back" });
      expect(await licensingAnswers()).toBe(address("lic-src"));
      expect((await hostExec("lic-src", "systemctl is-active licensing")).stdout.trim()).toBe("active");
      expect((await hostExec("tgt-3", "systemctl is-active licensing")).stdout.trim()).toBe("inactive");
    });
  });
});

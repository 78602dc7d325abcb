/**
 * What the target already holds is not sent again (issue 20, item 1), on the fleet:
 *   - a target the operator filled by hand (the portal tree copied with tar, owners and mtimes
 *     kept): apply finds it in place and sends only what differs — a file with the same size and
 *     mtime but other bytes, and a file whose mode was changed — and the tree ends up the source's;
 *   - a hand copy that lost sub-second mtimes (as `cp -r`, GNU tar's default format or a FAT disk
 *     leave them): its files are candidates, the digest computed on the target decides, and their
 *     mtimes are set there instead of sending them;
 *   - a lost state directory: an apply stopped after the transfer, its state directory deleted,
 *     and a new apply with a new journal re-sends nothing of the files;
 *   - the first look at a hand copy: the snapshot hashes the copy on the target while it hashes
 *     the source, and the transfer's check then hashes none of the unchanged files again.
 * Bytes are counted from the journal and the NDJSON events, not from the hosts.
 */
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fleetPaths } from "../../fixtures/fleet/index.ts";
import { runCli, statusWorkload } from "./apply-support.ts";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const TREE =
  "cd /srv/portal && find . -printf '%p|%y|%s|%m|%U|%G|%T@|%l\\n' | sort; find . -type f -print0 | sort -z | xargs -0 sha256sum";
const TAMPERED = "/srv/portal/htdocs/index.html";
const CHMODDED = "/srv/portal/htdocs/robots.txt";

interface Sent {
  transfer: Record<string, unknown>;
  finalSync: { bytesSent: number; filesSent: number };
}

function sentBy(stateDir: string): Sent {
  const records = journal(stateDir);
  return {
    transfer: finished(records, "portal/transfer") ?? {},
    finalSync: finished(records, "portal/cutover")?.delta as Sent["finalSync"],
  };
}

/**
 * Copy the portal's paths to the target as an operator would by hand, owners, times, ACLs,
 * xattrs and capabilities kept: a POSIX archive, which (like `cp -a` and `rsync -aAX`) keeps
 * nanosecond mtimes and extended attributes.
 */
async function copyByHand(): Promise<void> {
  const made = await sh(
    "portal-src",
    "tar -C / -H posix --numeric-owner --acls --xattrs --xattrs-include='*' -cpf /tmp/portal-by-hand.tar srv/portal etc/portal",
  );
  expect(made.stderr).toBe("");
  // Each host's /tmp is its state directory's tmp/: the "disk" the operator carries across.
  const tmpOf = (name: string) => join(fleetPaths.hostDir(name), "tmp", "portal-by-hand.tar");
  cpSync(tmpOf("portal-src"), tmpOf("tgt-1"));
  rmSync(tmpOf("portal-src"));
  const unpacked = await sh(
    "tgt-1",
    "tar -C / --numeric-owner --acls --xattrs --xattrs-include='*' -xpf /tmp/portal-by-hand.tar && rm /tmp/portal-by-hand.tar",
  );
  expect(unpacked.stderr).toBe("");
}

/** The log messages among the NDJSON events of an apply's stdout. */
function logLines(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { type: string; message?: string })
    .flatMap((event) => (event.type === "log" && event.message ? [event.message] : []));
}

describe.skipIf(skipReason !== "")("transfer: what the target already holds is not sent", () => {
  describe("a hand-copied target", () => {
    let stateDir: string;
    let planFile: string;
    let result: { exitCode?: number; stdout: string; stderr: string };
    let treeBytes: number;

    beforeAll(async () => {
      await resetFleet();
      // Names the target's digest listing must survive: a newline, a backslash, Chinese.
      await sh(
        "portal-src",
        "cd /srv/portal/htdocs && printf a > 'odd\nname.txt' && printf b > 'back\\slash.txt' && printf c > '政务 公开.txt'",
      );
      await copyByHand();
      // Same size and mtime, other bytes: only the digest computed on the target can tell.
      await sh(
        "tgt-1",
        `f=${TAMPERED}; t=$(stat -c %y "$f"); printf X | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null; touch -d "$t" "$f"; chmod 600 ${CHMODDED}`,
      );
      treeBytes = Number(
        (await sh("portal-src", "du -sb --apparent-size /srv/portal | cut -f1")).stdout.trim(),
      );
      const prepared = preparePlan();
      ({ stateDir, planFile } = prepared);
      const run = await apply(planFile, stateDir, ["--only", "portal"]);
      result = { exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
    });

    it("applies and leaves the target's tree equal to the source's, the tampered files corrected", async () => {
      expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
      expect((await sh("tgt-1", TREE)).stdout).toBe((await sh("portal-src", TREE)).stdout);
    });

    it("sends only what differs, journaling the rest as verified in place", async () => {
      const { transfer, finalSync } = sentBy(stateDir);
      const bytesInPlace = transfer.bytesInPlace as number;
      expect(bytesInPlace).toBeGreaterThan(treeBytes * 0.95);
      // Sent: the two differing files, and the directories (headers only; their metadata is set last).
      expect(transfer.bytesSent as number).toBeLessThan(treeBytes * 0.02);
      expect(finalSync.filesSent).toBe(0);
      // Exactly the two differing files and the directories were sent, nothing else.
      const dirs = Number(
        (await sh("portal-src", "find /srv/portal /etc/portal -type d | wc -l")).stdout.trim(),
      );
      expect(transfer.filesSent).toBe(dirs + 2);
      const checkpoint = journal(stateDir).find(
        (r) => r.type === "step-checkpoint" && r.key === "portal/transfer",
      );
      expect(
        checkpoint?.type === "step-checkpoint" && checkpoint.step === "transfer" && checkpoint.data.inPlace,
      ).toMatchObject({
        bytesInPlace,
        digest: transfer.inPlaceDigest,
      });
    });

    it("hashes the copy during the snapshot, so the transfer hashes none of it again", () => {
      const fields = (prefix: string) => {
        const line = logLines(result.stdout).find((message) => message.startsWith(prefix));
        expect(line, `no log line starting ${prefix}`).toBeDefined();
        return JSON.parse(line!.slice(line!.indexOf(" {") + 1)) as Record<string, number>;
      };
      // The transfer's check found its candidates vouched for by evidence and hashed none of them,
      // the tampered file included: its digest, computed on the target, differed from the
      // manifest's, so it was sent all the same (above).
      const check = fields("transfer: found");
      expect(check.candidates).toBeGreaterThan(0);
      expect(check.hashed).toBe(0);
      // The snapshot had hashed every file of the copy there (none had evidence yet).
      const preHashed = logLines(result.stdout).find((m) => m.startsWith("snapshot: pre-hashed")) ?? "";
      const [, hashed, listed] = /: (\d+) of (\d+) files hashed there/.exec(preHashed) ?? [];
      expect(Number(hashed)).toBeGreaterThanOrEqual(Number(check.candidates));
      expect(hashed).toBe(listed);
      expect(fields("snapshot: pre-hashed").bytesHashed).toBeGreaterThan(treeBytes * 0.95);
    });

    it("reports the figure in the NDJSON events as the transfer runs", () => {
      const events = result.stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const progress = events.filter((e) => e.type === "step-progress" && e.step === "transfer");
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)?.bytesInPlace).toBe(sentBy(stateDir).transfer.bytesInPlace);
    });

    it("gives the accounting in status --json", async () => {
      const status = await runCli(["status", planFile, "--json", "--state-dir", stateDir]);
      expect(status.exitCode, status.stderr).toBe(0);
      const portal = statusWorkload(status.stdout, "portal");
      const { transfer, finalSync } = sentBy(stateDir);
      expect(portal?.bytes).toEqual({
        inPlace: transfer.bytesInPlace,
        seeded: 0,
        sent: (transfer.bytesSent as number) + finalSync.bytesSent,
      });
    });
  });

  describe("a hand copy that kept mtimes to the second only", () => {
    let stateDir: string;
    let result: { exitCode?: number; stderr: string };
    let treeBytes: number;
    let fractions: number;

    beforeAll(async () => {
      await resetFleet();
      await copyByHand();
      // Every time on the target cut to whole seconds, as a copy without sub-second times leaves it.
      await sh(
        "tgt-1",
        `find /srv/portal /etc/portal -exec sh -c 'for f; do touch -h -d "@$(stat -c %Y -- "$f")" -- "$f"; done' cut {} +`,
      );
      fractions = Number(
        (
          await sh(
            "portal-src",
            "find /srv/portal /etc/portal ! -type d -printf '%T@\\n' | grep -vc '\\.0*$'",
          )
        ).stdout.trim(),
      );
      treeBytes = Number(
        (await sh("portal-src", "du -sb --apparent-size /srv/portal | cut -f1")).stdout.trim(),
      );
      const prepared = preparePlan();
      stateDir = prepared.stateDir;
      const run = await apply(prepared.planFile, stateDir, ["--only", "portal"]);
      result = { exitCode: run.exitCode, stderr: String(run.stderr) };
    });

    it("finds the files in place by their digest and sends only the directories", async () => {
      expect(result.exitCode, result.stderr.slice(-2000)).toBe(0);
      // The copy really lost something: the source's times have fractions the target's had not.
      expect(fractions).toBeGreaterThan(0);
      const { transfer, finalSync } = sentBy(stateDir);
      expect(transfer.bytesInPlace as number).toBeGreaterThan(treeBytes * 0.95);
      const dirs = Number(
        (await sh("portal-src", "find /srv/portal /etc/portal -type d | wc -l")).stdout.trim(),
      );
      expect(transfer.filesSent).toBe(dirs);
      expect(finalSync.filesSent).toBe(0);
    });

    it("leaves the target's tree equal to the source's, nanosecond mtimes included", async () => {
      expect((await sh("tgt-1", TREE)).stdout).toBe((await sh("portal-src", TREE)).stdout);
    });
  });

  describe("a lost state directory", () => {
    let first: Sent;
    let second: Sent;
    let exitCode: number | undefined;
    let stderr: string;

    beforeAll(async () => {
      await resetFleet();
      const prepared = preparePlan();
      // Stop after the transfer: the files are on the target, the journal then goes missing.
      const run = await apply(prepared.planFile, prepared.stateDir, ["--only", "portal"], {
        MIGRATE_FAIL_AFTER: "portal/transfer",
      });
      expect(run.exitCode).toBe(3);
      first = sentBy(prepared.stateDir);
      rmSync(prepared.stateDir, { recursive: true, force: true });
      const again = await apply(prepared.planFile, prepared.stateDir, ["--only", "portal"]);
      exitCode = again.exitCode;
      stderr = String(again.stderr);
      second = sentBy(prepared.stateDir);
    });

    it("finishes with a new journal", () => {
      expect(exitCode, stderr.slice(-2000)).toBe(0);
    });

    it("re-sends none of the files the first attempt moved", () => {
      expect(first.transfer.bytesInPlace).toBe(0);
      const moved = first.transfer.bytesSent as number;
      expect(second.transfer.bytesInPlace as number).toBeGreaterThan(moved * 0.95);
      expect(second.transfer.filesSent as number).toBeLessThan((first.transfer.filesSent as number) * 0.2);
      expect(second.transfer.bytesSent as number).toBeLessThan(moved * 0.02);
    });
  });
});

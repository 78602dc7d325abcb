/**
 * The final delta sync at cutover: after the transfer, the live source keeps changing and the
 * target picks up a stray file; the cutover sends only what changed, deletes what vanished and
 * the stray (inside the workload's paths only), and the result verifies against the source.
 * A file changed on the target behind the transfer's back, its size and mtime put back, is found
 * by the one listing of the target (its ctime voids the evidence, so it is hashed there) and sent
 * again, instead of failing the tree check after the sync.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { apply, finished, journal, preparePlan, resetFleet, sh } from "./support/pipeline.ts";

const skipReason = inject("e2eSkipReason");
const TREE =
  "cd /srv/portal && find . -printf '%p|%y|%s|%m|%U|%G|%T@|%l\\n' | sort; find . -type f -print0 | sort -z | xargs -0 sha256sum";

describe.skipIf(skipReason !== "")("pipeline: final delta sync at cutover", () => {
  let stateDir: string;
  let resumed: { exitCode?: number; stderr: string };

  beforeAll(async () => {
    await resetFleet();
    const prepared = preparePlan();
    stateDir = prepared.stateDir;
    // Stop after reconfigure: files are on the target, the source still serves.
    const first = await apply(prepared.planFile, stateDir, ["--only", "portal"], {
      MIGRATE_FAIL_AFTER: "portal/reconfigure",
    });
    expect(first.exitCode).toBe(3);
    await sh(
      "portal-src",
      `set -e; cd /srv/portal/htdocs
       printf '<!-- updated after the snapshot -->\\n' >> index.html
       rm robots.txt
       printf 'new notice\\n' > 'news/通知 2026.html'
       chmod 600 css/* 2>/dev/null || true
       mkdir -p 'new dir/empty'`,
    );
    await sh(
      "tgt-1",
      `printf stray > /srv/portal/htdocs/stray.txt; printf keep > /srv/outside-the-paths.txt
       f=/srv/portal/htdocs/js/site.js; m=$(stat -c %y "$f")
       printf X | dd of="$f" bs=1 count=1 conv=notrunc 2>/dev/null; touch -d "$m" "$f"`,
    );
    const second = await apply(prepared.planFile, stateDir, ["--only", "portal"]);
    resumed = { exitCode: second.exitCode, stderr: second.stderr };
  });

  it("cuts over and verifies", () => {
    expect(resumed.exitCode, resumed.stderr.slice(-2000)).toBe(0);
    expect(finished(journal(stateDir), "portal/verify")).toBeDefined();
  });

  it("leaves the target's tree equal to the frozen source's", async () => {
    expect((await sh("tgt-1", TREE)).stdout).toBe((await sh("portal-src", TREE)).stdout);
  });

  it("sends only the changes and deletes only inside the workload's paths", async () => {
    const outputs = finished(journal(stateDir), "portal/cutover");
    const delta = outputs?.delta as { filesSent: number; filesDeleted: number; filesHashed: number };
    expect(delta.filesDeleted).toBe(2); // robots.txt (gone at the source) and the stray
    expect(delta.filesSent).toBeGreaterThanOrEqual(2);
    expect(delta.filesSent).toBeLessThan(50);
    expect((await sh("tgt-1", "cat /srv/outside-the-paths.txt")).stdout).toBe("keep");
  });

  it("lists the target once in the cutover and sends again what changed there", () => {
    const runs = join(stateDir, "fleet-city-bureaus", "runs");
    const last = readdirSync(runs).sort().at(-1)!;
    const records = readFileSync(join(runs, last, "log.ndjson"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { host?: string; command?: string });
    const treeListings = records.filter(
      (record) => record.host === "tgt-1" && /migrate-manifest'? '?tree'? /.test(record.command ?? ""),
    );
    expect(treeListings).toHaveLength(1);
    // Compared on the target's host with the listing kept there after the reconfigure.
    expect(treeListings[0]!.command).toMatch(
      /sorted'? '?diff'? '?\/var\/lib\/migrate\/portal\/listing-target/,
    );
    // The source is listed once too, compared on its host with the snapshot's kept listing.
    const sourceListings = records.filter(
      (record) => record.host === "portal-src" && /migrate-manifest'? '?tree'? /.test(record.command ?? ""),
    );
    expect(sourceListings).toHaveLength(1);
    expect(sourceListings[0]!.command).toMatch(
      /sorted'? '?diff'? '?\/var\/lib\/migrate\/portal\/listing-snapshot/,
    );
  });
});

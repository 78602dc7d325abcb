import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  importedChunks,
  readSeedJournal,
  SeedJournal,
  type SeedRecord,
  seedBytes,
} from "../../../../src/engine/journal/seed-ledger.ts";
import {
  checkExportDir,
  loadBundle,
  parseChunkSize,
  seedWorkload,
} from "../../../../src/engine/running/seed.ts";
import { UserError } from "../../../../src/errors.ts";
import { manifestDigest, toJsonl } from "../../../../src/manifest/model.ts";
import { type SeedIndex, writeSeedIndex } from "../../../../src/transfer/seed-bundle.ts";
import { makePlan, tempDir } from "../fixtures.ts";

const plan = makePlan([{ name: "portal" }, { name: "tax" }]);
const portal = { ...plan.workloads[0]!, paths: ["/srv/portal"] };

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<UserError> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error("expected a refusal");
}

describe("seed: refusals before anything changes", () => {
  it("needs exactly one known workload", async () => {
    expect((await refusal(() => seedWorkload(plan, undefined, "export"))).message).toMatch(/exactly one/);
    expect((await refusal(() => seedWorkload(plan, "portal,tax", "export"))).message).toMatch(/got 2/);
    const unknown = await refusal(() => seedWorkload(plan, "portl", "import"));
    expect(unknown.kind).toBe("usage");
    expect(unknown.hint).toBe("did you mean portal?");
    expect(seedWorkload(plan, "tax", "export").name).toBe("tax");
  });

  it("exports only into a new or empty directory, or continues an unfinished export there", async () => {
    const dir = tempDir("seed-dir-");
    await checkExportDir(join(dir, "new"));
    await checkExportDir(dir);
    writeFileSync(join(dir, "chunk-00001.tar"), "old");
    expect((await refusal(checkExportDir(dir))).message).toMatch(/not empty.*chunk-00001\.tar/);
    // An unfinished export is continued; a finished one is never written into again.
    writeFileSync(join(dir, "seed.partial.json"), "{}");
    await checkExportDir(dir);
    writeFileSync(join(dir, "seed.json"), "{}");
    expect((await refusal(checkExportDir(dir))).message).toMatch(/not empty/);
  });

  it("reads chunk sizes from 1MiB to 64GiB", async () => {
    expect(parseChunkSize("4MiB")).toBe(4 * 1024 ** 2);
    expect(parseChunkSize("2GiB")).toBe(2 * 1024 ** 3);
    for (const bad of ["512KiB", "100GiB", "1GB", "lots"])
      expect((await refusal(() => parseChunkSize(bad))).kind).toBe("usage");
  });

  it("refuses a bundle of another workload, another hash, paths outside the workload, or a damaged manifest", async () => {
    const dir = tempDir("seed-bundle-");
    const manifest = { hash: "sha256" as const, roots: ["/srv/portal"], entries: [] };
    writeFileSync(join(dir, "manifest.jsonl"), [...toJsonl(manifest)].join(""));
    const index: SeedIndex = {
      v: 1,
      plan: "unit-plan",
      workload: "portal",
      source: "src-1",
      hash: "sha256",
      createdAt: "2026-12-01T00:00:00Z",
      manifestDigest: manifestDigest(manifest),
      chunks: [
        {
          file: "chunk-00001.tar",
          bytes: 3,
          digest: "a".repeat(64),
          paths: ["/srv/portal/x"],
          contentBytes: 1,
        },
      ],
    };
    await writeSeedIndex(dir, index);
    expect((await loadBundle(plan, portal, dir)).index.workload).toBe("portal");
    const tax = { ...plan.workloads[1]!, paths: ["/srv/portal"] };
    expect((await refusal(loadBundle(plan, tax, dir))).message).toMatch(/holds workload portal/);
    expect((await refusal(loadBundle(plan, { ...portal, hash: "sm3" }, dir))).message).toMatch(/sha256/);
    expect((await refusal(loadBundle(plan, { ...portal, paths: ["/srv/other"] }, dir))).message).toMatch(
      /outside the workload's paths/,
    );
    await writeSeedIndex(dir, { ...index, manifestDigest: "sha256:0" });
    expect((await refusal(loadBundle(plan, portal, dir))).message).toMatch(/does not match/);
    writeFileSync(join(dir, "seed.json"), "{ not json");
    expect((await refusal(loadBundle(plan, portal, dir))).hint).toMatch(/export the bundle again/);
    expect((await refusal(loadBundle(plan, portal, join(dir, "none")))).message).toMatch(/no seed bundle/);
  });
});

describe("seed journal", () => {
  it("resumes an import after the chunks it verified, and sums carried and re-sent bytes per workload", async () => {
    const dir = tempDir("seed-journal-");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "seed.jsonl");
    const journal = await SeedJournal.open(file);
    const chunk = (
      workload: string,
      bundle: string,
      name: string,
      carried: number,
      resent: number,
    ): SeedRecord => ({
      v: 1,
      at: "2026-12-01T00:00:00Z",
      op: "import",
      workload,
      bundle,
      type: "seed-chunk",
      file: name,
      outcome: resent > 0 ? "damaged-resent" : "verified",
      carried,
      resent,
    });
    journal.append(chunk("portal", "b1", "chunk-00001.tar", 0, 70));
    journal.append(chunk("portal", "b1", "chunk-00002.tar", 100, 0));
    journal.append(chunk("portal", "b2", "chunk-00003.tar", 5, 0));
    journal.append(chunk("tax", "b1", "chunk-00004.tar", 9, 0));
    journal.close();
    // A torn last line (a crash mid-write) is ignored.
    writeFileSync(file, '{"v":1,"type":"seed-ch', { flag: "a" });
    const records = await readSeedJournal(file);
    expect([...importedChunks(records, "portal", "b1")].sort()).toEqual([
      "chunk-00001.tar",
      "chunk-00002.tar",
    ]);
    expect(seedBytes(records).get("portal")).toEqual({ carried: 105, resent: 70 });
    writeFileSync(file, "garbage\n{}\n", { flag: "a" });
    expect((await refusal(readSeedJournal(file))).kind).toBe("journal");
  });
});

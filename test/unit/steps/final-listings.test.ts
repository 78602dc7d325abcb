/**
 * How the final sync lists the target (final-listings.ts), on a real tree through the real
 * manifest script: compared on the host with the listing kept after the reconfigure when that
 * listing and its doubtful paths belong to this snapshot, the whole target listed otherwise —
 * a listing kept for another snapshot, a doubtful-paths file changed since, a listing on the
 * host that is not the one recorded, or a full verification.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectToFile } from "../../../src/manifest/collect-file.ts";
import type { ManifestEntry } from "../../../src/manifest/model.ts";
import { writeManifestFile } from "../../../src/manifest/store.ts";
import type { KeptTarget } from "../../../src/steps/contracts.ts";
import { listTarget } from "../../../src/steps/final-listings.ts";
import type { CutoverInput } from "../../../src/steps/inputs.ts";
import type { StepContext } from "../../../src/steps/types.ts";
import { LocalRemote } from "../../support/local-remote.ts";

describe("the final sync's listing of the target", () => {
  let root: string;
  let tree: string;
  let work: string;
  let kept: KeptTarget;
  const messages: string[] = [];
  const signal = AbortSignal.timeout(60_000);

  function contextWith(keptTarget: KeptTarget, snapshotDigest = "sha256:snap"): StepContext {
    const outputs = {
      snapshot: { manifestDigest: snapshotDigest, bytes: 100 },
      reconfigure: { keptTarget },
    } as Record<string, unknown>;
    return {
      signal,
      workDir: work,
      outputsOf: (step: string) => outputs[step],
      log: { info: (message: string) => messages.push(message) },
    } as unknown as StepContext;
  }
  const input = () => ({ paths: [tree], hash: "sha256" }) as unknown as CutoverInput;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "final-listings-"));
    tree = join(root, "tree");
    work = join(root, "work");
    await mkdir(work);
    await mkdir(tree);
    for (const name of ["a", "b", "doubtful"]) await writeFile(join(tree, name), name);
    const file = join(root, "listing-target");
    await collectToFile(
      new LocalRemote(),
      [tree],
      { hash: "none", signal, timeoutMs: 60_000, workDir: work, digest: false, kept: { use: "keep", file } },
      join(work, "listing.jsonl"),
      [tree],
    );
    const doubtful: ManifestEntry = {
      path: join(tree, "doubtful"),
      type: "file",
      size: 8,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: "1",
      nlink: 1,
      dev: "1",
      ino: "1",
      ctime: "1",
    };
    const doubtfulFile = join(work, "manifest-doubtful-target.jsonl.gz");
    const saved = await writeManifestFile(doubtfulFile, { hash: "sha256", roots: [tree] }, [doubtful]);
    kept = {
      file,
      sha256: createHash("sha256")
        .update(await readFile(file))
        .digest("hex"),
      snapshotDigest: "sha256:snap",
      doubtfulFile,
      doubtfulDigest: saved.digest,
    };
    await writeFile(join(tree, "b"), "changed");
    await writeFile(join(tree, "new"), "new");
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("compares on the host and reads again, with digests, only what differs and what was doubtful", async () => {
    const side = await listTarget(input(), contextWith(kept), new LocalRemote(), join(work, "t1"), false);
    expect(typeof side.listing).not.toBe("string");
    const change = side.listing as Exclude<typeof side.listing, string>;
    expect([...change.differs].sort()).toEqual([
      tree,
      join(tree, "b"),
      join(tree, "doubtful"),
      join(tree, "new"),
    ]);
    expect(change.now.map((entry) => entry.path)).toEqual([...change.differs].sort());
    const b = change.now.find((entry) => entry.path === join(tree, "b"));
    expect(b?.hash).toBe(createHash("sha256").update("changed").digest("hex"));
    expect(side.filesHashed).toBe(3);
  });

  it("lists the whole target when the kept listing is not this snapshot's, or anything was changed", async () => {
    const whole = async (context: StepContext, full = false) => {
      const file = join(work, `whole-${Math.random()}.jsonl`);
      const side = await listTarget(input(), context, new LocalRemote(), file, full);
      expect(side.listing).toBe(file);
      expect(side.filesHashed).toBe(0);
    };
    messages.length = 0;
    await whole(contextWith(kept, "sha256:another-snapshot"));
    await whole(contextWith({ ...kept, doubtfulDigest: "sha256:changed" }));
    await whole(contextWith({ ...kept, sha256: "0".repeat(64) }));
    expect(messages.filter((message) => message.includes("listing the whole target"))).toHaveLength(3);
    await whole(contextWith(kept), true);
  });
});

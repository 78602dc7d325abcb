import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.ts";
import { manifestDigest, toJsonl } from "../../../src/manifest/model.ts";
import { type SeedPartial, writeSeedPartial } from "../../../src/transfer/seed-bundle.ts";
import { readResumePoint } from "../../../src/transfer/seed-resume.ts";
import { file } from "../../support/manifest-entries.ts";

const workload = { name: "portal", source: "src-1", hash: "sha256" as const };
const manifest = {
  hash: "sha256" as const,
  roots: ["/srv"],
  entries: [file("/srv/a"), file("/srv/b"), file("/srv/c")],
};

/** A bundle directory killed after writing three chunks, the third torn (shorter than recorded). */
async function unfinished(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "seed-resume-"));
  writeFileSync(join(dir, "manifest.jsonl"), [...toJsonl(manifest)].join(""));
  const chunks = ["/srv/a", "/srv/b", "/srv/c"].map((path, index) => {
    const body = Buffer.from(`archive of ${path}`);
    const name = `chunk-0000${index + 1}.tar`;
    return {
      file: name,
      bytes: body.length,
      digest: createHash("sha256").update(body).digest("hex"),
      paths: [path],
      contentBytes: 10,
      body,
    };
  });
  for (const chunk of chunks) writeFileSync(join(dir, chunk.file), chunk.body);
  writeFileSync(join(dir, "chunk-00003.tar"), "archive of");
  const partial: SeedPartial = {
    v: 1,
    plan: "city",
    workload: "portal",
    source: "src-1",
    hash: "sha256",
    manifestDigest: manifestDigest(manifest),
    chunkBytes: 4 * 1024 ** 2,
    chunks: chunks.map(({ body: _body, ...chunk }) => chunk),
  };
  await writeSeedPartial(dir, partial);
  return dir;
}

describe("an interrupted seed export", () => {
  it("continues after the leading chunks whose size and digest on the disk are the recorded ones", async () => {
    const dir = await unfinished();
    const point = await readResumePoint(dir, { plan: "city", workload });
    expect(point?.chunks.map((chunk) => chunk.file)).toEqual(["chunk-00001.tar", "chunk-00002.tar"]);
    expect(point?.entries.map((entry) => entry.path)).toEqual(["/srv/a", "/srv/b", "/srv/c"]);
    expect(point?.chunkBytes).toBe(4 * 1024 ** 2);
  });

  it("stops at a damaged chunk even when later ones are whole", async () => {
    const dir = await unfinished();
    writeFileSync(join(dir, "chunk-00001.tar"), "archive of /srv/X");
    expect((await readResumePoint(dir, { plan: "city", workload }))?.chunks).toEqual([]);
  });

  it("is none in a directory without an unfinished export", async () => {
    expect(
      await readResumePoint(mkdtempSync(join(tmpdir(), "seed-resume-")), { plan: "city", workload }),
    ).toBe(undefined);
  });

  it("refuses another workload's or hash's export, or a manifest that does not match", async () => {
    const dir = await unfinished();
    for (const other of [
      { plan: "other", workload },
      { plan: "city", workload: { ...workload, name: "tax" } },
      { plan: "city", workload: { ...workload, hash: "sm3" as const } },
    ])
      await expect(readResumePoint(dir, other)).rejects.toBeInstanceOf(UserError);
    writeFileSync(join(dir, "manifest.jsonl"), "torn");
    await expect(readResumePoint(dir, { plan: "city", workload })).rejects.toThrow(/does not match/);
  });
});

/**
 * Dumps as deltas against the chunks the target holds: the chunking (pure) and the target-side
 * scripts (run here by sh, as on a host: receive, assemble, check) with real GNU tar and gzip.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { ChunkSplitter, MAX_CHUNK, MIN_CHUNK } from "../../../src/transfer/cdc.ts";
import { sendDumpDelta } from "../../../src/transfer/dump-delta.ts";
import { LocalRemote } from "../../support/local-remote.ts";

function chunksOf(data: Buffer, piece = data.length): Buffer[] {
  const splitter = new ChunkSplitter();
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += piece)
    chunks.push(...splitter.push(data.subarray(at, at + piece)));
  return [...chunks, ...splitter.end()];
}

const hex = (chunks: Buffer[]) => chunks.map((chunk) => chunk.toString("base64").slice(0, 40));

describe("content-defined chunks", () => {
  const data = randomBytes(4 * 1024 * 1024);

  it("are the same whatever pieces the bytes arrive in, within their size bounds, and add up to the input", () => {
    const whole = chunksOf(data);
    expect(hex(chunksOf(data, 1000))).toEqual(hex(whole));
    expect(hex(chunksOf(data, 65_537))).toEqual(hex(whole));
    expect(Buffer.concat(whole).equals(data)).toBe(true);
    for (const chunk of whole.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(MIN_CHUNK);
      expect(chunk.length).toBeLessThanOrEqual(MAX_CHUNK);
    }
    expect(whole.length).toBeGreaterThan(20);
  });

  it("change only around an insert in the middle: every later cut stays where it was", () => {
    const before = new Set(hex(chunksOf(data)));
    const middle = data.length / 2;
    const changed = Buffer.concat([
      data.subarray(0, middle),
      Buffer.from("one new row\n"),
      data.subarray(middle),
    ]);
    const after = hex(chunksOf(changed));
    expect(after.filter((chunk) => !before.has(chunk)).length).toBeLessThanOrEqual(2);
  });

  it("still cuts a run without cut points (zeros) at the maximum size", () => {
    const chunks = chunksOf(Buffer.alloc(MAX_CHUNK * 3 + 5));
    expect(chunks.map((chunk) => chunk.length)).toEqual([MAX_CHUNK, MAX_CHUNK, MAX_CHUNK, 5]);
  });
});

describe("a dump sent as a delta against the target's chunk store", () => {
  const dir = mkdtempSync(join(tmpdir(), "dump-delta-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, "chunks");
  const file = join(dir, "db.dump");
  const target = new LocalRemote();
  const ok = { host: "local", command: "dump", exitCode: 0, signal: null, stdout: "", stderr: "" };
  const send = (data: Buffer, hash: "sha256" | "sm3" = "sha256") =>
    sendDumpDelta(
      async () => ({
        stdout: Readable.from([data]),
        done: Promise.resolve({
          ...ok,
          durationMs: 0,
          timedOut: false,
          canceled: false,
          bytesOut: 0,
          bytesIn: 0,
        }),
      }),
      {
        target,
        file,
        store,
        hash,
        signal: new AbortController().signal,
        throttle: { take: async () => {} },
        onBytes: () => {},
        timeoutMs: 60_000,
      },
    );
  // Text like a dump's COPY rows, so gzip has something to do, with an insert in the middle later.
  const rows = (from: number, to: number) =>
    Array.from(
      { length: to - from },
      (_, i) => `${from + i}\ttaxpayer-${(from + i) * 7919}\t${(from + i) % 97}.50\n`,
    ).join("");
  const first = Buffer.from(rows(0, 60_000));

  it("sends everything the first time and puts the dump together, verified by its digest", async () => {
    const sent = await send(first);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(sent.reused).toBe(0);
    expect(sent.newChunks).toBe(sent.chunks);
    expect(sent.sent).toBeLessThan(first.length);
    expect(readdirSync(store).filter((name) => /^[0-9a-f]{64}$/.test(name))).toHaveLength(sent.chunks);
  });

  it("then sends only the chunks around a change, the rest from the store", async () => {
    const changed = Buffer.from(`${rows(0, 30_000)}30000\tnew taxpayer\t1.00\n${rows(30_001, 60_000)}`);
    const sent = await send(changed);
    expect(readFileSync(file).equals(changed)).toBe(true);
    expect(sent.newChunks).toBeLessThanOrEqual(2);
    expect(sent.reused).toBeGreaterThan(changed.length * 0.9);
    expect(sent.sent).toBeLessThan(changed.length * 0.05);
  });

  it("names a damaged stored chunk, removes it and sends its bytes instead", async () => {
    const stored = readdirSync(store)
      .filter((name) => /^[0-9a-f]{64}$/.test(name))
      .sort();
    const victim = stored.find((name) => readFileSync(join(store, name)).includes("taxpayer-7919\t"))!;
    const bytes = readFileSync(join(store, victim));
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(join(store, victim), bytes);
    const sent = await send(first);
    expect(sent.damaged).toContain(victim);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(readFileSync(join(store, victim))[10]).toBe(first[first.indexOf(bytes.subarray(0, 10)) + 10]);
  });

  it("puts an empty dump together as an empty file", async () => {
    const sent = await send(Buffer.alloc(0));
    expect(sent.chunks).toBe(0);
    expect(readFileSync(file)).toHaveLength(0);
  });

  it("names chunks by SM3 for a workload that says so (OpenSSL computes it on the target)", async () => {
    rmSync(store, { recursive: true, force: true });
    const sent = await send(first, "sm3");
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(sent.digest).not.toBe(sent.sha256);
  });
});

/**
 * Issue 13 item 3: the target's side of a large file's ranges, in both forms (Python, and sh +
 * coreutils for hosts without it), run here with this machine's tools: each range is appended
 * and its digest printed, and a stream cut inside a range prints no digest for it.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { receiveCommand, SHORT_EXIT } from "../../../src/transfer/range-receive.ts";
import { LocalRemote } from "../../support/local-remote.ts";

const signal = new AbortController().signal;
const MiB = 1024 * 1024;

describe("receiving ranges", () => {
  const dir = mkdtempSync(join(tmpdir(), "range-receive-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const data = Buffer.alloc(6 * MiB + 123);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
  const head = 1 * MiB;
  const lengths = [2 * MiB, 2 * MiB, MiB + 123];

  for (const python of [true, false]) {
    const form = python ? "python" : "sh";

    it(`appends each range after what was verified and prints its digest (${form})`, async () => {
      const part = join(dir, `part-${form}`);
      writeFileSync(part, data.subarray(0, head));
      const result = await new LocalRemote().run(receiveCommand(part, "sha256", head, lengths, python), {
        stdin: data.subarray(head),
        signal,
        timeoutMs: 60_000,
      });
      expect(result.exitCode).toBe(0);
      let offset = head;
      const expected = lengths.map((length) => {
        const digest = createHash("sha256")
          .update(data.subarray(offset, offset + length))
          .digest("hex");
        offset += length;
        return digest;
      });
      expect(result.stdout.trim().split("\n")).toEqual(expected);
      expect(readFileSync(part).equals(data)).toBe(true);
    });

    it(`prints no digest for a range cut short (${form})`, async () => {
      const part = join(dir, `cut-${form}`);
      writeFileSync(part, data.subarray(0, head));
      const result = await new LocalRemote().run(receiveCommand(part, "sha256", head, lengths, python), {
        stdin: data.subarray(head, head + 3 * MiB),
        signal,
        timeoutMs: 60_000,
      });
      expect(result.exitCode).toBe(SHORT_EXIT);
      expect(result.stdout.trim().split("\n")).toHaveLength(1);
    });
  }
});

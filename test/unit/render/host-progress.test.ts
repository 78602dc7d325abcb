import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createHostProgress, HostTable } from "../../../src/render/host-progress.ts";

const hosts = [
  { name: "fin-app-01", role: "source" },
  { name: "zy-fin-01", role: "target" },
];

describe("host progress", () => {
  it("tracks each host from waiting to its outcome with the time it took", () => {
    let now = 1000;
    const table = new HostTable(hosts, () => now);
    table.start("fin-app-01");
    table.start("zy-fin-01");
    now = 2500;
    table.end("fin-app-01", true);
    expect(table.counts()).toEqual({ waiting: 0, running: 1, ok: 1, failed: 0 });
    expect(table.end("zy-fin-01", false, "connection refused")).toMatchObject({
      state: "failed",
      durationMs: 1500,
      detail: "connection refused",
    });
  });

  it("prints one plain line per finished host, nothing in json mode", async () => {
    const err = new PassThrough();
    let text = "";
    err.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const stderr = err as unknown as NodeJS.WriteStream;
    let now = 0;
    const plain = await createHostProgress({
      mode: "plain",
      title: "inventory",
      hosts,
      stderr,
      isTTY: false,
      now: () => now,
    });
    plain.start("fin-app-01");
    now = 1200;
    plain.end("fin-app-01", true);
    plain.end("zy-fin-01", false, "host key mismatch");
    await plain.close();
    expect(text).toBe(
      "fin-app-01 (source): ok in 1.2 s\nzy-fin-01 (target): unreachable: host key mismatch\n",
    );
    const json = await createHostProgress({ mode: "json", title: "inventory", hosts, stderr, isTTY: false });
    json.end("fin-app-01", true);
    expect(text.split("\n")).toHaveLength(3);
  });
});

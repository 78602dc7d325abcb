/**
 * The live view's workload lines, rendered by ink into a stream: a failure that carries a
 * remedy shows it on a line of its own, on the running workload's failure line and on the
 * finished workload's line the view keeps above the live area.
 */
import { PassThrough } from "node:stream";
import { render } from "ink";
import { createElement, type ReactElement } from "react";
import { describe, expect, it } from "vitest";
import { FinishedWorkload, LiveWorkload } from "../../../src/render/live/workload-line.tsx";
import type { WorkloadView } from "../../../src/render/run-state.ts";

async function frame(element: ReactElement): Promise<string> {
  const stdout = Object.assign(new PassThrough(), { columns: 200, rows: 40, isTTY: false });
  let text = "";
  stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const instance = render(element, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    debug: true,
    patchConsole: false,
  });
  instance.unmount();
  await instance.waitUntilExit();
  return text;
}

const hint = "add `become: sudo` to the host in the plan (a login with passwordless sudo)";
const base: WorkloadView = {
  name: "portal",
  bureau: "radio-tv",
  wave: 1,
  status: "running",
  stepDone: false,
  attempt: 1,
  bytesMoved: 0,
  bytesInPlace: 0,
};

describe("live view workload lines", () => {
  it("shows the remedy under the failure of a running workload, once the failure is final", async () => {
    const failure = { step: "snapshot", message: "2 path(s) cannot be read", hint };
    const final = await frame(
      createElement(LiveWorkload, {
        view: { ...base, step: "rollback", lastFailure: { ...failure, willRetry: false } },
        now: 0,
      }),
    );
    expect(final).toContain("snapshot failed: 2 path(s) cannot be read");
    expect(final).toContain(`      hint: ${hint}`);
    const retrying = await frame(
      createElement(LiveWorkload, {
        view: { ...base, step: "snapshot", lastFailure: { ...failure, willRetry: true } },
        now: 0,
      }),
    );
    expect(retrying).not.toContain("hint:");
  });

  it("shows the remedy under a finished workload's line", async () => {
    const text = await frame(
      createElement(FinishedWorkload, {
        view: { ...base, status: "failed", reason: "snapshot failed", hint },
      }),
    );
    expect(text).toMatch(/✘ portal .*snapshot failed\n {2}hint: add `become: sudo`/);
    const succeeded = await frame(
      createElement(FinishedWorkload, { view: { ...base, status: "succeeded" } }),
    );
    expect(succeeded).not.toContain("hint:");
  });
});

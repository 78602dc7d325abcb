/**
 * The one policy for stopping a run (src/cli/interrupts.ts): what the first and a later Ctrl-C,
 * `q` and SIGTERM do, whoever reports them (a signal, or the live view's keys).
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createInterrupts, type StopView } from "../../../src/cli/interrupts.ts";

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function setup() {
  const seen: string[] = [];
  const signals = new EventEmitter();
  const view: StopView = { stopping: () => seen.push("stopping"), abort: () => seen.push("abort") };
  const interrupts = createInterrupts({
    view,
    signals: signals as unknown as NodeJS.Process,
    exit: (code) => {
      throw new Exited(code);
    },
  });
  return { seen, signals, interrupts };
}

describe("interrupts", () => {
  it("stops gracefully on the first SIGINT and aborts with 130 on the second", () => {
    const { seen, signals, interrupts } = setup();
    signals.emit("SIGINT");
    expect(interrupts.signal.aborted).toBe(true);
    expect(seen).toEqual(["stopping"]);
    expect(() => signals.emit("SIGINT")).toThrow(new Exited(130));
    expect(seen).toEqual(["stopping", "abort"]);
  });

  it("treats SIGTERM as a first Ctrl-C, and a repeated one as a second", () => {
    const { seen, signals, interrupts } = setup();
    signals.emit("SIGTERM");
    expect(interrupts.signal.aborted).toBe(true);
    expect(seen).toEqual(["stopping"]);
    expect(() => signals.emit("SIGTERM")).toThrow(new Exited(130));
  });

  it("never escalates on q: only a Ctrl-C after it aborts", () => {
    const { seen, interrupts } = setup();
    interrupts.request("stop");
    interrupts.request("stop");
    expect(seen).toEqual(["stopping"]);
    expect(() => interrupts.request("interrupt")).toThrow(new Exited(130));
  });

  it("shows stops on the view it was last given", () => {
    const { seen, signals, interrupts } = setup();
    const later: string[] = [];
    interrupts.show({ stopping: () => later.push("stopping"), abort: () => later.push("abort") });
    signals.emit("SIGINT");
    expect(() => interrupts.request("interrupt")).toThrow(new Exited(130));
    expect(later).toEqual(["stopping", "abort"]);
    expect(seen).toEqual([]);
  });

  it("leaves the process's signals alone once released", () => {
    const { signals, interrupts } = setup();
    interrupts.release();
    expect(signals.listenerCount("SIGINT") + signals.listenerCount("SIGTERM")).toBe(0);
    signals.emit("SIGTERM");
    expect(interrupts.signal.aborted).toBe(false);
  });
});

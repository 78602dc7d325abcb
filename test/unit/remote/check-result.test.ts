import { describe, expect, it } from "vitest";
import { InterruptedError, RemoteError } from "../../../src/errors.ts";
import { type CheckContext, checkResult } from "../../../src/remote/check-result.ts";
import type { RunResult } from "../../../src/remote/types.ts";

const base: RunResult = {
  host: "fin-app-01",
  command: "systemctl stop land-revenue.service",
  exitCode: 0,
  signal: null,
  stdout: "",
  stderr: "",
  durationMs: 10,
  timedOut: false,
  canceled: false,
  bytesIn: 0,
  bytesOut: 0,
};

function thrown(result: RunResult, context?: CheckContext): unknown {
  try {
    checkResult(result, context);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("checkResult", () => {
  it("passes a zero exit through", () => {
    expect(checkResult(base)).toBe(base);
  });

  it("carries host, command, exit code and the stderr tail", () => {
    const error = thrown({ ...base, exitCode: 5, stderr: "line1\nFailed to stop unit: access denied\n" });
    expect(error).toBeInstanceOf(RemoteError);
    const remote = error as RemoteError;
    expect(remote.kind).toBe("remote");
    expect(remote.retryable).toBe(false);
    expect(remote.failure).toMatchObject({ host: "fin-app-01", exitCode: 5, command: base.command });
    expect(remote.message).toContain("exit code 5");
    expect(remote.message).toContain("access denied");
  });

  it("types timeouts, lost connections and cancellation", () => {
    expect((thrown({ ...base, exitCode: null, signal: "KILL", timedOut: true }) as RemoteError).kind).toBe(
      "timeout",
    );
    const lost = thrown({ ...base, exitCode: null }) as RemoteError;
    expect(lost.kind).toBe("unreachable");
    expect(lost.retryable).toBe(true);
    expect(thrown({ ...base, exitCode: null, signal: "KILL", canceled: true })).toBeInstanceOf(
      InterruptedError,
    );
  });

  it("names what the command was for, in every kind of failure, and keeps the classification", () => {
    const what = { what: "cannot count rows of taxdb", hint: "check the database", retryable: true };
    const failed = thrown({ ...base, exitCode: 2, stderr: "psql: FATAL" }, what) as RemoteError;
    expect(failed.message).toBe("cannot count rows of taxdb on fin-app-01 failed (exit code 2): psql: FATAL");
    expect(failed.retryable).toBe(true);
    expect(failed.hint).toBe("check the database");
    const lost = thrown({ ...base, exitCode: null }, what) as RemoteError;
    expect(lost.kind).toBe("unreachable");
    expect(lost.message).toBe("cannot count rows of taxdb on fin-app-01: the connection was lost");
    const late = thrown({ ...base, exitCode: null, signal: "KILL", timedOut: true }, what) as RemoteError;
    expect([late.kind, late.retryable]).toEqual(["timeout", true]);
    const stopped = thrown({ ...base, exitCode: null, canceled: true }, what);
    expect(stopped).toBeInstanceOf(InterruptedError);
    expect((stopped as Error).message).toBe("interrupted: cannot count rows of taxdb on fin-app-01");
  });
});

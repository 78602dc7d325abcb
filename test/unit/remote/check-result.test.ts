import { describe, expect, it } from "vitest";
import { InterruptedError, RemoteError } from "../../../src/errors.ts";
import { checkResult } from "../../../src/remote/ssh-remote.ts";
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

function thrown(result: RunResult): unknown {
  try {
    checkResult(result);
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
});

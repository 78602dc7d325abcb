import { describe, expect, it } from "vitest";
import { isRetryable } from "../../../src/engine/running/retry.ts";
import { isTransientCode, mapConnectError } from "../../../src/remote/ssh-errors.ts";

const CONTEXT = { host: "src-01", address: "127.0.0.1", port: 22 };
/** Faults of a socket that may pass, and of a name lookup that may pass. */
const SOCKET = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
];
const RESOLVER = ["ENOTFOUND", "EAI_AGAIN"];
const TRANSIENT = [...SOCKET, ...RESOLVER];

describe("transient network faults", () => {
  it("names every socket and resolver fault that may pass", () => {
    for (const code of TRANSIENT) expect(isTransientCode(code), code).toBe(true);
  });

  it("does not name other system errors, other spellings, or codes that are not strings", () => {
    for (const code of ["ENOENT", "EACCES", "ENOSPC", "econnreset", "", 104, undefined, null])
      expect(isTransientCode(code), String(code)).toBe(false);
  });

  it("gives the same answer when connecting and when deciding a retry", () => {
    for (const code of [...TRANSIENT, "ENOENT", "EACCES"]) {
      const raw = Object.assign(new Error(code), { code });
      const mapped = mapConnectError(raw, CONTEXT);
      expect(isRetryable(raw), code).toBe(isTransientCode(code));
      if (isTransientCode(code)) {
        expect(mapped.message, code).toBe(`src-01 (127.0.0.1:22) is unreachable: ${code}`);
        expect(mapped.retryable, code).toBe(true);
      }
    }
  });
});

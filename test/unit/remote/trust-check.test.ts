import { describe, expect, it } from "vitest";
import { RemoteError, UserError } from "../../../src/errors.ts";
import { checkTrust } from "../../../src/remote/trust-check.ts";

const failure = (host: string) => ({ host, command: "connect", exitCode: null });

/** Hosts answer as told: connected, refused (host key / auth), or unreachable. */
function pool(outcomes: Record<string, Error | "ok">) {
  return {
    async connection(name: string) {
      const outcome = outcomes[name];
      if (outcome === "ok") return {};
      throw outcome;
    },
  };
}

describe("checkTrust", () => {
  const signal = new AbortController().signal;

  it("passes when every host is trusted or merely unreachable (the engine retries those)", async () => {
    const hosts = pool({
      a: "ok",
      b: new RemoteError("unreachable", "b (127.0.0.2:22) is unreachable: ECONNREFUSED", failure("b")),
    });
    await expect(checkTrust(hosts, ["a", "b"], signal)).resolves.toBeUndefined();
  });

  it("throws the first refusal, saying nothing was changed and naming the other refused hosts", async () => {
    const hosts = pool({
      a: "ok",
      gw: new RemoteError("host-key", "host key of gw: expected SHA256:x, got SHA256:y", failure("gw")),
      tgt: new UserError("auth", "cannot read key file /k for tgt: ENOENT"),
    });
    const error = await checkTrust(hosts, ["a", "gw", "tgt"], signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).kind).toBe("host-key");
    expect((error as Error).message).toBe(
      "nothing was changed: host key of gw: expected SHA256:x, got SHA256:y (also refused: cannot read key file /k for tgt: ENOENT)",
    );
  });
});

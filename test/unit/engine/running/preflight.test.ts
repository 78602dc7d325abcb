/**
 * Apply's preflight collects every problem before any step and lays them out per host: the
 * refusals, the hosts behind a failed bastion, the missing database passwords; unreachable
 * hosts stop the run only when none can be reached.
 */
import { describe, expect, it } from "vitest";
import { runPreflight } from "../../../../src/engine/running/preflight.ts";
import { RemoteError, UserError } from "../../../../src/errors.ts";
import { exitCodeFor } from "../../../../src/exit-codes.ts";
import type { Plan } from "../../../../src/plan/schema.ts";

const failure = (host: string) => ({ host, command: "(connect)", exitCode: null });
const unreachable = (host: string) =>
  new RemoteError("unreachable", `${host} (127.0.0.9:22) is unreachable: ECONNREFUSED`, failure(host), {
    hint: "check the address, port, firewall and (for hosts behind a bastion) the via host",
  });

/** Hosts answer as told; a host behind a bastion fails with the bastion's own error, as the pool does. */
function pool(outcomes: Record<string, Error | "ok">, via: Record<string, string> = {}) {
  return {
    async connection(name: string) {
      const outcome = outcomes[via[name] ?? name] === "ok" ? outcomes[name] : outcomes[via[name] ?? name];
      if (outcome === "ok") return {};
      throw outcome;
    },
  };
}

const signal = new AbortController().signal;
const noWork = { workloads: [] };

async function failureOf(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe("apply's preflight", () => {
  it("lets the run start when some hosts are merely unreachable, and names them (readiness skips them)", async () => {
    const hosts = pool({ a: "ok", b: unreachable("b") });
    await expect(runPreflight({ ...noWork, hosts: ["a", "b"] }, { pool: hosts, signal })).resolves.toEqual(
      new Set(["b"]),
    );
  });

  it("stops at once, as a connection failure (exit 4), when no host can be reached", async () => {
    const hosts = pool({ a: unreachable("a"), b: unreachable("b") });
    const error = await failureOf(runPreflight({ ...noWork, hosts: ["a", "b"] }, { pool: hosts, signal }));
    expect(error.kind).toBe("unreachable");
    expect(exitCodeFor(error.kind)).toBe(4);
    expect(error.message).toBe(
      [
        "preflight: none of the 2 hosts can be reached; nothing was changed:",
        "  a  (127.0.0.9:22) is unreachable: ECONNREFUSED",
        "  b  (127.0.0.9:22) is unreachable: ECONNREFUSED",
        "  hint (a, b): check the address, port, firewall and (for hosts behind a bastion) the via host",
      ].join("\n"),
    );
  });

  it("names every refused host once, the hosts behind a refused bastion, and each hint once", async () => {
    const keyChanged = (host: string) =>
      new UserError("host-key", `REMOTE HOST KEY CHANGED for ${host}: expected SHA256:x, got SHA256:y`, {
        hint: "compare the fingerprint out of band",
      });
    const bastion = keyChanged("bastion");
    const hosts = pool(
      {
        bastion,
        "portal-src": "ok",
        gw: keyChanged("gw"),
        tgt: new UserError("auth", "cannot read key file /k for tgt: ENOENT"),
      },
      { "portal-src": "bastion" },
    );
    const error = await failureOf(
      runPreflight(
        { ...noWork, hosts: ["bastion", "portal-src", "gw", "tgt", "ok-host"] },
        {
          pool: { connection: async (name) => (name === "ok-host" ? {} : hosts.connection(name)) },
          signal,
          viaOf: (h) => (h === "portal-src" ? "bastion" : undefined),
        },
      ),
    );
    expect(error.kind).toBe("host-key");
    expect(error.message).toBe(
      [
        "preflight: problems on 4 of 5 hosts; nothing was changed:",
        "  bastion     REMOTE HOST KEY CHANGED for bastion: expected SHA256:x, got SHA256:y",
        "  portal-src  not checked: reached through bastion, which failed",
        "  gw          REMOTE HOST KEY CHANGED for gw: expected SHA256:x, got SHA256:y",
        "  tgt         cannot read key file /k for tgt: ENOENT",
        "  hint (bastion, gw): compare the fingerprint out of band",
      ].join("\n"),
    );
    expect(error.hint).toBe("fix every host listed above, then run the same command again");
  });

  it("reports every missing database password under its workload's source host, with the hosts", async () => {
    const workload = (name: string, source: string, passwordEnv: string) =>
      ({
        name,
        source,
        databases: [{ engine: "postgresql", name: `${name}_db`, passwordEnv }],
      }) as unknown as Plan["workloads"][number];
    const error = await failureOf(
      runPreflight(
        {
          workloads: [workload("tax", "tax-src", "TAX_PW"), workload("fee", "fee-src", "FEE_PW")],
          hosts: ["tax-src", "fee-src"],
        },
        { pool: pool({ "tax-src": "ok", "fee-src": unreachable("fee-src") }), signal, env: {} },
      ),
    );
    expect(error.kind).toBe("auth");
    expect(error.message.split("\n")).toEqual([
      "preflight: problems on 2 of 2 hosts; nothing was changed:",
      "  tax-src  database tax_db names passwordEnv TAX_PW, which is not set",
      "  fee-src  database fee_db names passwordEnv FEE_PW, which is not set",
      "  fee-src  (127.0.0.9:22) is unreachable: ECONNREFUSED",
      "  hint (tax-src): export TAX_PW=<password> in the shell that runs migrate; it reaches the host on stdin and is never written anywhere",
      "  hint (fee-src): export FEE_PW=<password> in the shell that runs migrate; it reaches the host on stdin and is never written anywhere",
      "  hint (fee-src): check the address, port, firewall and (for hosts behind a bastion) the via host",
    ]);
  });

  it("from the desk of a shared apply: unreachable hosts and passwords are left to the runners", async () => {
    const workload = {
      name: "tax",
      source: "tax-src",
      databases: [{ engine: "postgresql", name: "tax_db", passwordEnv: "TAX_PW" }],
    } as unknown as Plan["workloads"][number];
    const away = pool({ "tax-src": unreachable("tax-src"), "tgt-1": unreachable("tgt-1") });
    const work = { workloads: [workload], hosts: ["tax-src", "tgt-1"] };
    await expect(runPreflight(work, { pool: away, signal, env: {}, runsElsewhere: true })).resolves.toEqual(
      new Set(["tax-src", "tgt-1"]),
    );
    // A refusal by a host the desk reaches still stops it, as locally.
    const refused = new RemoteError("host-key", "tgt-1 unknown host key for tgt-1", failure("tgt-1"));
    const error = await failureOf(
      runPreflight(work, {
        pool: pool({ "tax-src": unreachable("tax-src"), "tgt-1": refused }),
        signal,
        env: {},
        runsElsewhere: true,
      }),
    );
    expect(error.kind).toBe("host-key");
    expect(error.message.split("\n").slice(0, 3)).toEqual([
      "preflight: problems on 2 of 2 hosts; nothing was changed:",
      "  tax-src  (127.0.0.9:22) is unreachable: ECONNREFUSED",
      "  tgt-1    unknown host key for tgt-1",
    ]);
  });
});

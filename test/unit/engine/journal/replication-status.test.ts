/** `status` on replicated databases, from the journaled outputs of reconfigure and cutover. */
import { describe, expect, it } from "vitest";
import { formatReplication, replicationStatus } from "../../../../src/engine/journal/replication-status.ts";

const reconfigure = {
  rewrites: [],
  commandsRun: 0,
  databases: [],
  replication: {
    tax: {
      engine: "postgresql" as const,
      objects: {
        user: "migrate_repl_ab",
        publication: "migrate_pub_ab",
        subscription: "migrate_sub_ab",
        subscriptionOid: "16590",
      },
      seededAt: "0/3A00000",
    },
  },
};

describe("replicationStatus", () => {
  it("names the objects that exist while a database streams", () => {
    const [status] = replicationStatus({ reconfigure });
    expect(status).toMatchObject({ database: "tax", state: "streaming" });
    expect(formatReplication(status!)).toBe(
      "tax: replicating to the target (until the cutover: migrate_repl_ab, migrate_pub_ab, migrate_sub_ab)",
    );
  });

  it("shows the lag the cutover applied and how long it took", () => {
    const cutover = {
      manifestFile: "m",
      manifestDigest: "d",
      delta: {},
      rewrites: [],
      frozenAt: "2026-12-01T12:00:00Z",
      switchedAt: "2026-12-01T12:00:04Z",
      traffic: {},
      databases: [
        {
          name: "tax",
          rowCounts: {},
          dumpBytes: 0,
          mode: "replicate" as const,
          lagBytes: 2048,
          catchUpMs: 291,
        },
      ],
    };
    const [status] = replicationStatus({ reconfigure, cutover });
    expect(status).toEqual({
      database: "tax",
      state: "caught-up",
      objects: [],
      lagBytes: 2048,
      catchUpMs: 291,
    });
    expect(formatReplication(status!)).toContain("caught up in 0.3 s from 2.00 KiB of lag");
  });
});

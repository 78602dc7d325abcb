/**
 * The PostgreSQL replication preflight's verdicts from the facts it reads (the reading itself
 * runs on the fleet: test/e2e/replication-postgres*.test.ts).
 */
import { describe, expect, it } from "vitest";
import { postgresFindings } from "../../../../src/steps/db/replication/postgres-preflight.ts";

const READY = {
  wal_level: "logical",
  version: "150010",
  slots_free: "9",
  senders_free: "9",
  slot_keep: "256MB",
  large_objects: "0",
};

describe("postgresFindings", () => {
  it("finds nothing on a server prepared for logical replication", () => {
    expect(postgresFindings("tax", READY, [], "150010")).toEqual([]);
  });

  it("blocks wal_level = replica and says a restart is needed", () => {
    const [finding] = postgresFindings("tax", { ...READY, wal_level: "replica" }, [], "150010");
    expect(finding).toMatchObject({ severity: "block", code: "wal-level" });
    expect(finding?.message).toContain("restart");
    expect(finding?.hint).toContain("wal_level = logical");
  });

  it("names every table without a key and the fix", () => {
    const [finding] = postgresFindings("tax", READY, ["public.audit_log", "public.tmp"], "150010");
    expect(finding).toMatchObject({ code: "no-primary-key", tables: ["public.audit_log", "public.tmp"] });
    expect(finding?.message).toContain("public.audit_log, public.tmp");
    expect(finding?.hint).toContain("REPLICA IDENTITY FULL");
  });

  it("blocks no free slot or sender, large objects and an older target", () => {
    const codes = postgresFindings(
      "tax",
      { ...READY, slots_free: "0", senders_free: "0", large_objects: "3" },
      [],
      "140005",
    ).map((finding) => finding.code);
    expect(codes).toEqual(["replication-slots", "wal-senders", "large-objects", "target-version"]);
  });

  it("warns, without blocking, when max_slot_wal_keep_size is unset", () => {
    const findings = postgresFindings("tax", { ...READY, slot_keep: "-1" }, [], "160002");
    expect(findings).toMatchObject([{ severity: "warn", code: "slot-wal-unbounded" }]);
  });
});

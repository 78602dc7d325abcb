/**
 * The command session's bracket on a real state directory: the lock is held while the command
 * runs and released however it ends; a second command on the same state is refused before its
 * body runs; the journal is open for reading before the run starts, and only when asked for.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withCommandSession } from "../../../src/cli/command-session.ts";
import { isMigrateError } from "../../../src/errors.ts";

const spec = (root: string, journal = true) => ({
  root,
  name: "city",
  holder: "migrate apply city.yaml",
  journal,
});

describe("command session", () => {
  it("holds the lock while the body runs and releases it when the body fails", async () => {
    const root = mkdtempSync(join(tmpdir(), "migrate-session-"));
    const lock = join(root, "city", "lock");
    const failed = withCommandSession(spec(root), async (session) => {
      expect(existsSync(lock)).toBe(true);
      expect(session.journal?.records).toEqual([]);
      throw new Error("the command failed");
    });
    await expect(failed).rejects.toThrow("the command failed");
    expect(existsSync(lock)).toBe(false);
  });

  it("refuses a second command on the same state before its body runs", async () => {
    const root = mkdtempSync(join(tmpdir(), "migrate-session-"));
    let inner = false;
    const code = await withCommandSession(spec(root), async () => {
      const second = withCommandSession(spec(root), async () => {
        inner = true;
        return 0;
      });
      const error = await second.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isMigrateError(error) && error.kind).toBe("locked");
      return 7;
    });
    expect(code).toBe(7);
    expect(inner).toBe(false);
    expect(existsSync(join(root, "city", "lock"))).toBe(false);
  });

  it("opens no journal when the command keeps its own record", async () => {
    const root = mkdtempSync(join(tmpdir(), "migrate-session-"));
    await withCommandSession(spec(root, false), async (session) => {
      expect(session.journal).toBeUndefined();
      return 0;
    });
    expect(existsSync(join(root, "city", "journal.jsonl"))).toBe(false);
  });
});

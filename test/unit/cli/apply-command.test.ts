/**
 * The apply command's gatekeeping before any host is touched: --yes without a terminal, the
 * confirmation prompt, and a plan changed under finished steps. These paths never connect.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { run } from "../../../src/cli/commands/apply.ts";
import { FileJournal } from "../../../src/engine/journal/journal.ts";
import { journalPath, lockPath } from "../../../src/engine/journal/state-dir.ts";
import { OUTPUTS } from "../../support/step-outputs.ts";
import { tempDir } from "../engine/fixtures.ts";

const KEY = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const host = (name: string, address: string) => ({
  name,
  address,
  user: "root",
  auth: { agent: true },
  hostKey: KEY,
});

function writePlan(dir: string, paths: string[] = ["/srv/app"]): string {
  const file = join(dir, "plan.yaml");
  const plan = {
    apiVersion: "migrate/v1",
    kind: "MigrationPlan",
    metadata: { name: "cmd-test", owner: "tests" },
    sources: [host("src-1", "127.0.9.1")],
    tenants: [
      {
        name: "tenant-a",
        cloud: "c",
        zone: "egov-intranet",
        maxClassification: 3,
        arch: "x86_64",
        hosts: [host("tgt-1", "127.0.9.2")],
      },
    ],
    workloads: [
      {
        name: "app",
        bureau: "finance",
        kind: "generic",
        classification: 2,
        zone: "egov-extranet",
        wave: 1,
        source: "src-1",
        target: "tgt-1",
        paths,
      },
    ],
  };
  writeFileSync(file, stringify(plan));
  return file;
}

const noTerminal = { prompter: { confirm: async () => true }, interactive: false };

describe("migrate apply (command)", () => {
  it("refuses to run without --yes when nobody can be asked", async () => {
    const dir = tempDir();
    await expect(run(writePlan(dir), {}, noTerminal)).rejects.toMatchObject({
      kind: "usage",
      hint: expect.stringContaining("--yes"),
    });
  });

  it("asks on a terminal and changes nothing when the answer is no", async () => {
    const dir = tempDir();
    const questions: string[] = [];
    let shownBeforeAsking = "";
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const code = await run(
      writePlan(dir),
      {},
      {
        interactive: true,
        prompter: {
          confirm: async (question) => {
            questions.push(question);
            shownBeforeAsking = written.join("");
            return false;
          },
        },
      },
    ).finally(() => spy.mockRestore());
    expect(code).toBe(1);
    expect(questions).toEqual(["Apply this plan now?"]);
    // The overview, and no "Nothing was executed; run `migrate apply`" right before the question.
    expect(shownBeforeAsking).toMatch(/^Wave 1 · 1 workload · 5 steps pending/m);
    expect(shownBeforeAsking).not.toContain("Nothing was executed");
    const root = join(dir, ".migrate");
    expect(existsSync(lockPath(root, "cmd-test"))).toBe(false);
    const journal = FileJournal.open(journalPath(root, "cmd-test"));
    expect(journal.records).toHaveLength(0);
    await journal.close();
  });

  it("refuses a plan changed under finished steps before asking anything", async () => {
    const dir = tempDir();
    const file = writePlan(dir);
    const root = join(dir, ".migrate");
    // Journal a finished snapshot with another input hash, as an earlier plan would have.
    const journal = FileJournal.open(journalPath(root, "cmd-test"));
    await journal.append({
      v: 1,
      type: "step-finish",
      runId: "r1",
      at: "2026-11-25T00:00:00Z",
      workload: "app",
      step: "snapshot",
      key: "app/snapshot",
      inputHash: "from-an-older-plan",
      durationMs: 1,
      outputs: OUTPUTS.snapshot,
    });
    await journal.close();
    const asked: string[] = [];
    const prompter = {
      confirm: async (question: string) => {
        asked.push(question);
        return true;
      },
    };
    await expect(run(file, {}, { prompter, interactive: true })).rejects.toMatchObject({
      kind: "plan-changed",
    });
    expect(asked).toEqual([]);
    expect(existsSync(lockPath(root, "cmd-test"))).toBe(false);
  });
});

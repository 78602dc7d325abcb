/**
 * YAML mistakes through the real `bin/migrate validate`: one error per mistake, at the key, with
 * a hint (the corpus in fixtures/plans/invalid holds the exact wording of each); a directory or
 * a binary file given as the plan is one short located error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const bin = join(root, "bin/migrate");
const scratch = mkdtempSync(join(tmpdir(), "migrate-yaml-"));
const validate = (file: string) => execa(bin, ["validate", file], { cwd: root, reject: false });

describe("validate on YAML mistakes", { timeout: 90_000 }, () => {
  it("reports a tab as one error at the tab, naming the key, with the indentation to use", async () => {
    const r = await validate("fixtures/plans/invalid/03-yaml-tab-indentation.yaml");
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(
      [
        'fixtures/plans/invalid/03-yaml-tab-indentation.yaml:57:1: error: YAML syntax error: "bureau" is indented with a tab; YAML indents with spaces only (hint: replace the indentation with 4 spaces like "name" on line 56)',
        "fixtures/plans/invalid/03-yaml-tab-indentation.yaml: invalid: 1 error",
      ].join("\n"),
    );
  });

  it("reports a directory as one error with a hint", async () => {
    const r = await validate(scratch);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(
      `${scratch}:1:1: error: cannot read plan: ${scratch} is a directory (hint: name a plan file in it, e.g. \`migrate validate ${join(scratch, "*.yaml")}\`)`,
    );
  });

  it("reports a binary file in one short line, not its bytes", async () => {
    const file = join(scratch, "plan.yaml");
    writeFileSync(file, readFileSync(process.execPath).subarray(0, 23_000));
    const r = await validate(file);
    expect(r.exitCode).toBe(1);
    const [line, summary, ...rest] = r.stdout.split("\n");
    expect(line).toMatch(
      /^.*:1:1: error: .* is not a text file \(a NUL byte at offset \d+\); a plan is YAML text/,
    );
    expect(line).toBe(
      `${file}:1:1: error: ${file} is not a text file (a NUL byte at offset ${readFileSync(file).indexOf(0)}); a plan is YAML text (hint: pass the plan's .yaml file; \`migrate schema\` prints the format)`,
    );
    expect([summary, ...rest]).toEqual([`${file}: invalid: 1 error`]);
  });
});

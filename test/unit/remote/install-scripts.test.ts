/**
 * `npm ci` decides every dependency's install script in package.json (allowScripts), and
 * whether ssh2's native crypto binding is built is not left to chance: bin/check-ssh2-binding
 * (run by `prepare`) fails the install without it unless MIGRATE_SSH2_JS=1 says so.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "../../..");
const scratch = mkdtempSync(path.join(tmpdir(), "install-scripts-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function check(ssh2Dir: string, env: NodeJS.ProcessEnv = {}) {
  try {
    await run(process.execPath, ["bin/check-ssh2-binding.mjs", ssh2Dir], {
      cwd: repo,
      env: { ...process.env, MIGRATE_SSH2_JS: "", ...env },
    });
    return { code: 0, stderr: "" };
  } catch (error) {
    return { code: (error as { code: number }).code, stderr: (error as { stderr: string }).stderr };
  }
}

describe("install scripts", () => {
  it("leaves no installed package's install script unreviewed", async () => {
    const { stdout } = await run("npm", ["install-scripts", "ls", "--json"], { cwd: repo });
    expect(JSON.parse(stdout)).toEqual({ allowScripts: [] });
  });

  it("finds ssh2's native crypto binding built and loadable", async () => {
    expect(await check(path.join(repo, "node_modules", "ssh2"))).toEqual({ code: 0, stderr: "" });
  });

  it("fails the install when the binding is missing, naming the fix and the opt-out", async () => {
    const copy = path.join(scratch, "ssh2");
    cpSync(path.join(repo, "node_modules", "ssh2"), copy, {
      recursive: true,
      filter: (file) => !file.includes(`${path.sep}build`),
    });
    const result = await check(copy);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^migrate: ssh2's native crypto binding is not built \(Cannot find module /,
    );
    expect(result.stderr).toContain("`npm rebuild ssh2`, or set MIGRATE_SSH2_JS=1");
    expect(await check(copy, { MIGRATE_SSH2_JS: "1" })).toEqual({ code: 0, stderr: "" });
  });
});

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { hostFactsFrom } from "../../../src/inventory/host-facts.ts";
import { inventoryCommand } from "../../../src/inventory/script.ts";
import { splitSections } from "../../../src/inventory/sections.ts";

const run = promisify(execFile);

describe("inventory script", () => {
  it("passes hostile paths as quoted arguments and measures them literally", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrate-inv-"));
    const odd = join(dir, "it's $(touch pwned) `x` ; rm -rf");
    await mkdir(odd);
    await writeFile(join(odd, "a"), "12345");
    await writeFile(join(odd, "b"), "678");
    const command = inventoryCommand(
      { paths: [odd, join(dir, "absent")], postgresPorts: [], mysqlPorts: [] },
      "n0nce",
    );
    // The command text is what reaches the remote login shell; run it through a local one.
    const { stdout } = await run("sh", ["-c", command.text], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    const facts = hostFactsFrom(
      { role: "source", address: "local", port: 22 },
      splitSections(stdout, "n0nce"),
      [odd],
      0,
    );
    expect(facts.paths).toEqual({ [odd]: { files: 2, bytes: 8 } });
    expect(facts.missingPaths).toEqual([join(dir, "absent")]);
    // The script runs from /; an executed substitution would have created /pwned or DIR/pwned.
    expect(existsSync("/pwned") || existsSync(join(dir, "pwned"))).toBe(false);
  });
});

/**
 * What `npm pack` ships: the launcher, the compiled dist/ and the schema — no src/, no build
 * tools — and no runtime dependency on tsx: bin/migrate runs only the compiled code.
 */
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = new URL("../../..", import.meta.url).pathname;

describe("the npm package", () => {
  it("holds bin/migrate, dist/ and schema/, and neither src/ nor the build scripts", async () => {
    // --ignore-scripts: dist/ is already fresh (test/support/fresh-dist.ts); pack must not rebuild it.
    const packed = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root });
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain("bin/migrate");
    expect(files).toContain("dist/cli/main.js");
    expect(files).toContain("schema/plan.schema.json");
    expect(files.filter((file) => file.startsWith("src/") || file.startsWith("tsconfig"))).toEqual([]);
    expect(files.filter((file) => file.startsWith("bin/"))).toEqual(["bin/migrate"]);
  });

  it("needs tsx only to develop, and its launcher never loads it", () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as Record<
      string,
      Record<string, string>
    >;
    expect(pkg.dependencies).not.toHaveProperty("tsx");
    expect(pkg.devDependencies).toHaveProperty("tsx");
    const code = readFileSync(`${root}bin/migrate`, "utf8")
      .split("\n")
      .filter((line) => !line.startsWith("//") && !line.startsWith("#!"))
      .join("\n");
    expect(code).toContain("../dist/cli/main.js");
    expect(code).not.toMatch(/tsx|src\//);
  });
});

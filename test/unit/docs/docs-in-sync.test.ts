/**
 * The reference under docs/ is generated from the zod schema, the commander program and
 * src/exit-codes.ts (`npm run docs`); these tests fail while a committed file lags behind, and
 * while any relative link in the README or docs/ points at a file that does not exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { docGenerators } from "../../../src/docs/docs.ts";
import { fillRegions, regionNames } from "../../../src/docs/regions.ts";
import { analyzePlanText } from "../../../src/plan/analyze.ts";

const root = join(import.meta.dirname, "../../..");

describe("generated docs", () => {
  for (const [file, generators] of Object.entries(docGenerators())) {
    it(`${file} is up to date (else run npm run docs)`, () => {
      const text = readFileSync(join(root, file), "utf8");
      expect(regionNames(text).sort()).toEqual(Object.keys(generators).sort());
      expect(fillRegions(text, generators)).toBe(text);
    });
  }

  it("fills only the regions and refuses an unknown one", () => {
    const text = "a\n<!-- generated:x (npm run docs) -->\nold\n<!-- /generated:x -->\nb\n";
    expect(fillRegions(text, { x: () => "new" })).toBe(
      "a\n<!-- generated:x (npm run docs) -->\nnew\n<!-- /generated:x -->\nb\n",
    );
    expect(() => fillRegions(text, {})).toThrow("no generator for region x");
  });
});

describe("links", () => {
  const pages = [
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    ...readdirSync(join(root, "docs"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];
  for (const page of pages) {
    it(`every relative link in ${page} names an existing file`, () => {
      const text = readFileSync(join(root, page), "utf8");
      const targets = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((match) => match[1]!)
        .filter((target) => !/^[a-z]+:/.test(target));
      for (const target of targets)
        expect(existsSync(join(root, dirname(page), target)), `${page} → ${target}`).toBe(true);
    });
  }
});

describe("README", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");

  it("stays a five-minute read", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(150);
  });

  it("shows a minimal plan that validates without errors or warnings", () => {
    const section = readme.slice(readme.indexOf("## A minimal plan"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const result = analyzePlanText("README.md", yaml!);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.workloads.map((w) => w.name)).toEqual(["city-portal"]);
  });
});

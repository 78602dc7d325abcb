/**
 * Only the cli exits the process or takes its signals: below it (engine, render, steps, …) code
 * reports what happened — events, results, an interrupt request — and src/cli decides.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const src = new URL("../../../src", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe("process ownership", () => {
  it("no module outside src/cli calls process.exit or listens for a process signal", () => {
    const offenders = sources(src)
      .filter((file) => !relative(src, file).startsWith("cli/"))
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .map((line, index) => ({ line, at: `${relative(src, file)}:${index + 1}` }))
          .filter(({ line }) => /process\.(exit\(|(on|once|addListener)\(\s*["']SIG)/.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});

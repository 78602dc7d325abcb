/**
 * The bad-input corpus as test data: the invalid plans (with their `# exactly: LINE:COL: error:
 * message` headers), copies of them pointed at the loopback fleet (so that if one slipped through,
 * it would reach a fleet host and show in its sshd log — never a real address), and the malformed
 * inventory and journal files under fixtures/bad-input.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./migrate-process.ts";

export const INVALID_PLANS = join(REPO, "fixtures/plans/invalid");
export const BAD_INPUT = join(REPO, "fixtures/bad-input");

export interface Expectation {
  line: number;
  column: number;
  fragment: string;
}

export interface InvalidPlan {
  name: string;
  file: string;
  expectations: Expectation[];
}

export function invalidPlans(): InvalidPlan[] {
  return readdirSync(INVALID_PLANS)
    .filter((name) => name.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const file = join(INVALID_PLANS, name);
      // `# exactly: LINE:COL: error: message (hint: …)`, the whole line; `<plan>` is the file.
      const text = readFileSync(file, "utf8");
      const expectations = [...text.matchAll(/^# exactly: (\d+):(\d+): error: (.+)$/gm)].map((m) => ({
        line: Number(m[1]),
        column: Number(m[2]),
        fragment: m[3]!.replaceAll("<plan>", file),
      }));
      return { name, file, expectations };
    });
}

/** The corpus's documentation addresses → fleet addresses (lines keep their number). */
const TO_FLEET: [RegExp, string][] = [
  [/\b10\.1\.0\.11\b/g, "127.0.11.1"],
  [/\b10\.1\.0\.2\b/g, "127.0.13.1"],
  [/\b10\.1\.0\.53\b/g, "127.0.13.1"],
  [/\b172\.16\.0\.11\b/g, "127.0.12.1"],
  [/\b172\.17\.0\.11\b/g, "127.0.12.2"],
];

/** Copies of the corpus in `dir` whose hosts are fleet hosts; returns the copy's path per plan. */
export function fleetCopies(plans: readonly InvalidPlan[], dir: string): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const copies = new Map<string, string>();
  for (const plan of plans) {
    let text = readFileSync(plan.file, "utf8");
    for (const [pattern, address] of TO_FLEET) text = text.replace(pattern, address);
    if (/\b(?!127\.)\d+\.\d+\.\d+\.\d+\b/.test(text.replace(/^#.*$/gm, "")))
      throw new Error(`${plan.name} still names a non-loopback address after mapping`);
    const copy = join(dir, plan.name);
    writeFileSync(copy, text);
    copies.set(plan.name, copy);
  }
  return copies;
}

export function badInputFiles(kind: "inventory" | "journal"): string[] {
  return readdirSync(join(BAD_INPUT, kind))
    .sort()
    .map((name) => join(BAD_INPUT, kind, name));
}

/** A stack trace or an internal-error banner: what a user error must never print. */
export function looksLikeCrash(output: string): boolean {
  return /^\s+at .+[:(]\d+/m.test(output) || /internal error|UNCAUGHT|TypeError|ReferenceError/.test(output);
}

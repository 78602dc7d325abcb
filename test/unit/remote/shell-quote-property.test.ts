/**
 * Property test of the one quoting helper (src/remote/shell.ts): thousands of seeded random
 * byte strings — weighted towards shell metacharacters, quotes, newlines, `$()`, backticks,
 * leading dashes, invalid UTF-8 and Chinese text — go through `sh` into a real `/bin/sh -c`,
 * which must hand them to `printf` byte for byte. Also through `nested()` (a second shell
 * level, as on a host reached through another shell). One sh process checks a whole batch, so
 * the test stays fast. Repeat a run with RELIABILITY_SEED.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { nested, quote, raw, sh } from "../../../src/remote/shell.ts";
import { seededRandom, suiteSeed } from "../../support/reliability/rng.ts";

const HOSTILE = [
  "'",
  '"',
  "`",
  "$(",
  ")",
  "$",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, on purpose
  "${IFS}",
  ";",
  "&&",
  "||",
  "|",
  "&",
  "\n",
  "\r",
  "\t",
  " ",
  "-",
  "--",
  "\\",
  "*",
  "?",
  "[",
  "]",
  "~",
  "#",
  "!",
  "<",
  ">",
  "{",
  "}",
  "=",
  "%",
  "政务云",
  "\u00e9",
  "\u200b",
];

function randomBytes(random: () => number): Buffer {
  const parts: Buffer[] = [];
  const count = Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.55) parts.push(Buffer.from(HOSTILE[Math.floor(random() * HOSTILE.length)]!));
    else if (r < 0.8) parts.push(Buffer.from(String.fromCharCode(32 + Math.floor(random() * 95))));
    // Any byte but NUL, including invalid UTF-8 sequences.
    else parts.push(Buffer.from([1 + Math.floor(random() * 255)]));
  }
  if (random() < 0.2) parts.unshift(Buffer.from("-"));
  return Buffer.concat(parts);
}

/** What `/bin/sh -c script` prints: each value printf'd between 0x00 separators. */
function shellEcho(script: string): Buffer {
  return execFileSync("/bin/sh", ["-c", script], { maxBuffer: 64 * 1024 * 1024 });
}

describe("sh/quote round-trip through a real shell", () => {
  const random = seededRandom(suiteSeed("shell-quote-property"));
  // Values go through JS strings, as plan values do; invalid UTF-8 becomes U+FFFD first.
  const values = Array.from({ length: 4000 }, () => randomBytes(random).toString("utf8"));

  it("passes 4000 random hostile strings to the command literally", () => {
    const script = values.map((value) => sh`printf '%s\\0' ${value}`.text).join("\n");
    const printed = shellEcho(script).toString("utf8").split("\0").slice(0, -1);
    expect(printed.length).toBe(values.length);
    const wrong = values.filter((value, i) => printed[i] !== value);
    expect(wrong.map((v) => JSON.stringify(v)).slice(0, 5)).toEqual([]);
  });

  it("keeps them literal one shell level deeper (nested)", () => {
    const script = values
      .slice(0, 1500)
      .map((value) => nested(sh`printf '%s\\0' ${value}`).text)
      .join("\n");
    const printed = shellEcho(script).toString("utf8").split("\0").slice(0, -1);
    expect(printed).toEqual(values.slice(0, 1500));
  });

  it("passes lists as separate arguments, each literal, none read as an option", () => {
    const lists = Array.from({ length: 500 }, () => [
      values[Math.floor(random() * values.length)]!,
      "-n",
      "--",
    ]);
    const script = lists.map((list) => sh`printf '%s\\0' ${list}`.text).join("\n");
    const printed = shellEcho(script).toString("utf8").split("\0").slice(0, -1);
    expect(printed).toEqual(lists.flat());
  });

  it("never runs a substitution: $(touch …) and backticks stay text", () => {
    const marker = `/tmp/migrate-quote-probe-${process.pid}`;
    const evil = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `\n touch ${marker}`];
    const script = evil.map((value) => sh`printf '%s' ${value} >/dev/null`.text).join("\n");
    shellEcho(`${script}\ntest ! -e ${marker}`);
  });

  it("refuses NUL, which no shell argument can carry", () => {
    expect(() => quote("a\0b")).toThrow(/NUL/);
    expect(() => sh`echo ${"x\0"}`).toThrow(/NUL/);
  });

  it("leaves only raw() source text unquoted", () => {
    expect(sh`${raw("echo $HOME")} ${"$HOME"}`.text).toBe("echo $HOME '$HOME'");
  });
});

import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { MigrateError } from "../../../src/errors.ts";
import { checkPrivilege } from "../../../src/remote/privilege-check.ts";
import { asRoot, sh } from "../../../src/remote/shell.ts";
import type { Remote, RunResult } from "../../../src/remote/types.ts";

/** A host that answers `id -u; id -un` as scripted, recording what it was asked. */
function host(name: string, answer: Partial<RunResult>, asked: string[]): Remote {
  const run = async (command: { text: string }) => {
    asked.push(`${name}: ${command.text}`);
    return {
      host: name,
      command: command.text,
      exitCode: 0,
      signal: null,
      stdout: "",
      stderr: "",
      durationMs: 1,
      timedOut: false,
      canceled: false,
      bytesIn: 0,
      bytesOut: 0,
      ...answer,
    };
  };
  return { host: name, run, check: run, stream: () => Promise.reject(new Error("no streams")) } as Remote;
}

async function refusal(
  hosts: Record<string, Partial<RunResult>>,
  targets: string[],
): Promise<MigrateError | undefined> {
  const asked: string[] = [];
  const pool = { remote: (name: string) => host(name, hosts[name]!, asked) };
  try {
    await checkPrivilege(pool, Object.keys(hosts), new Set(targets), new AbortController().signal);
    return undefined;
  } catch (error) {
    return error as MigrateError;
  }
}

describe("privilege check before apply", () => {
  it("passes root targets and ordinary-user sources", async () => {
    expect(
      await refusal({ src: { stdout: "2001\nclerk\n" }, tgt: { stdout: "0\nroot\n" } }, ["tgt"]),
    ).toBeUndefined();
  });

  it("refuses a become that sudo turns down, as auth, saying nothing was changed", async () => {
    const error = await refusal({ tgt: { exitCode: 1, stderr: "sudo: a password is required\n" } }, ["tgt"]);
    expect(error?.kind).toBe("auth");
    expect(error?.message).toBe(
      "nothing was changed: become: sudo on tgt failed: sudo: a password is required",
    );
    expect(error?.hint).toMatch(/NOPASSWD/);
  });

  it("refuses a target reached as an ordinary user without become, naming both", async () => {
    const error = await refusal({ tgt: { stdout: "2001\nclerk\n" }, tgt2: { stdout: "2000\ndeploy\n" } }, [
      "tgt",
      "tgt2",
    ]);
    expect(error?.message).toMatch(
      /^nothing was changed: target tgt is reached as clerk, not root.*\(also: target tgt2 is reached as deploy/,
    );
  });

  it("leaves an unreachable host to the engine", async () => {
    expect(await refusal({ tgt: { exitCode: null, signal: null } }, ["tgt"])).toBeUndefined();
  });
});

describe("asRoot", () => {
  it("wraps the whole command as one quoted sh -c argument behind sudo -n; values arrive intact", () => {
    const value = '/a b/it\'s $(id) `x` \\ "q"';
    const text = asRoot(sh`printf %s ${value}`).text;
    expect(text.startsWith("sudo -n -- sh -c ")).toBe(true);
    // Run what sudo would run, here without sudo: the value must come out byte for byte.
    expect(execFileSync("sh", ["-c", text.replace(/^sudo -n -- /, "")], { encoding: "utf8" })).toBe(value);
  });
});

/**
 * argv → options for every command: the real commander program parses the command line and the
 * test sees exactly what the command's `run` would receive (positionals, then the options
 * object), without running it. Usage errors stop before any command runs.
 */
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, type CommandName } from "../../../src/cli/main.ts";

interface Call {
  name: CommandName;
  args: unknown[];
}

async function parse(...argv: string[]): Promise<Call[]> {
  const calls: Call[] = [];
  const program = buildProgram({
    run: async (name, args) => {
      calls.push({ name, args });
      return 0;
    },
    output: { writeOut: () => {}, writeErr: () => {} },
  });
  await program.parseAsync(["node", "migrate", ...argv]);
  return calls;
}

/** The one call a command line makes, as `[name, ...args]`. */
async function callOf(...argv: string[]): Promise<unknown[]> {
  const calls = await parse(...argv);
  expect(calls).toHaveLength(1);
  return [calls[0]!.name, ...calls[0]!.args];
}

async function usageError(...argv: string[]): Promise<CommanderError> {
  const calls: Call[] = [];
  const error = await parse(...argv).then(
    (made) => {
      calls.push(...made);
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
  expect(calls, "no command runs on a usage error").toEqual([]);
  expect(error).toBeInstanceOf(CommanderError);
  return error as CommanderError;
}

describe("argv → options", () => {
  it("validate: every plan file, output and inventory", async () => {
    expect(
      await callOf("validate", "a.yaml", "b.yaml", "--output", "github", "--inventory", "inv.json"),
    ).toEqual(["validate", ["a.yaml", "b.yaml"], { output: "github", inventory: "inv.json" }]);
    expect(await callOf("validate", "a.yaml", "--json")).toEqual(["validate", ["a.yaml"], { json: true }]);
  });

  it("plan: wave as a number, verbose, state directory and detailed exit code", async () => {
    expect(
      await callOf(
        "plan",
        "p.yaml",
        "-v",
        "--wave",
        "2",
        "--inventory",
        "inv.json",
        "--state-dir",
        "st",
        "--detailed-exitcode",
        "--output",
        "plain",
      ),
    ).toEqual([
      "plan",
      "p.yaml",
      {
        verbose: true,
        wave: 2,
        inventory: "inv.json",
        stateDir: "st",
        detailedExitcode: true,
        output: "plain",
      },
    ]);
    expect(await callOf("plan", "p.yaml")).toEqual(["plan", "p.yaml", {}]);
  });

  it("plan: a wave that is not a whole number from 1 is a usage error", async () => {
    for (const wave of ["0", "-1", "1.5", "two"]) {
      expect((await usageError("plan", "p.yaml", "--wave", wave)).code).toBe("commander.invalidArgument");
    }
  });

  it("schema takes nothing", async () => {
    expect(await callOf("schema")).toEqual(["schema", {}]);
  });

  it("inventory: output file, format and first-contact host keys", async () => {
    expect(
      await callOf("inventory", "p.yaml", "--out", "inv.json", "--json", "--accept-new-host-keys"),
    ).toEqual(["inventory", "p.yaml", { out: "inv.json", json: true, acceptNewHostKeys: true }]);
  });

  it("apply: every option", async () => {
    expect(
      await callOf(
        "apply",
        "p.yaml",
        "-y",
        "--state-dir",
        "st",
        "--ignore-window",
        "--only",
        "portal,tax",
        "--accept-new-host-keys",
        "--output",
        "json",
      ),
    ).toEqual([
      "apply",
      "p.yaml",
      {
        yes: true,
        stateDir: "st",
        ignoreWindow: true,
        only: "portal,tax",
        acceptNewHostKeys: true,
        output: "json",
      },
    ]);
    expect(await callOf("apply", "p.yaml")).toEqual(["apply", "p.yaml", {}]);
  });

  it("apply: an output format it does not know is a usage error", async () => {
    expect((await usageError("apply", "p.yaml", "--output", "xml")).code).toBe("commander.invalidArgument");
  });

  it("seed: action, plan, the one workload, directories, chunk size; plain output by default", async () => {
    expect(
      await callOf(
        "seed",
        "export",
        "p.yaml",
        "--only",
        "portal",
        "--to",
        "/mnt/d",
        "--chunk-size",
        "512MiB",
      ),
    ).toEqual([
      "seed",
      "export",
      "p.yaml",
      { only: "portal", to: "/mnt/d", chunkSize: "512MiB", output: "plain" },
    ]);
    expect(
      await callOf(
        "seed",
        "import",
        "p.yaml",
        "--only",
        "portal",
        "--from",
        "/mnt/d",
        "--output",
        "json",
        "--state-dir",
        "st",
        "--accept-new-host-keys",
      ),
    ).toEqual([
      "seed",
      "import",
      "p.yaml",
      { only: "portal", from: "/mnt/d", output: "json", stateDir: "st", acceptNewHostKeys: true },
    ]);
  });

  it("seed: --only is required", async () => {
    expect((await usageError("seed", "export", "p.yaml", "--to", "/mnt/d")).code).toBe(
      "commander.missingMandatoryOptionValue",
    );
  });

  it("status: format and state directory", async () => {
    expect(await callOf("status", "p.yaml", "--json", "--state-dir", "st")).toEqual([
      "status",
      "p.yaml",
      { json: true, stateDir: "st" },
    ]);
  });

  it("rollback: plan, workload, --yes and format", async () => {
    expect(
      await callOf("rollback", "p.yaml", "portal", "--yes", "--state-dir", "st", "--output", "plain"),
    ).toEqual(["rollback", "p.yaml", "portal", { yes: true, stateDir: "st", output: "plain" }]);
    expect((await usageError("rollback", "p.yaml")).code).toBe("commander.missingArgument");
  });

  it("report: md by default; html, output file, bureau, inventory", async () => {
    expect(await callOf("report", "p.yaml")).toEqual(["report", "p.yaml", { format: "md" }]);
    expect(
      await callOf(
        "report",
        "p.yaml",
        "--format",
        "html",
        "--out",
        "r.html",
        "--bureau",
        "finance",
        "--state-dir",
        "st",
        "--inventory",
        "inv.json",
      ),
    ).toEqual([
      "report",
      "p.yaml",
      { format: "html", out: "r.html", bureau: "finance", stateDir: "st", inventory: "inv.json" },
    ]);
    expect((await usageError("report", "p.yaml", "--format", "pdf")).code).toBe("commander.invalidArgument");
  });

  it("logs: an optional run id, level among the known ones, workload", async () => {
    expect(await callOf("logs", "p.yaml")).toEqual(["logs", "p.yaml", undefined, {}]);
    expect(
      await callOf(
        "logs",
        "p.yaml",
        "20261205T140000Z-abc",
        "--level",
        "warn",
        "--workload",
        "portal",
        "--json",
      ),
    ).toEqual(["logs", "p.yaml", "20261205T140000Z-abc", { level: "warn", workload: "portal", json: true }]);
    expect((await usageError("logs", "p.yaml", "--level", "loud")).code).toBe("commander.invalidArgument");
  });

  it("completion: bash or zsh", async () => {
    expect(await callOf("completion", "zsh")).toEqual(["completion", "zsh", {}]);
    expect((await usageError("completion", "fish")).code).toBe("commander.invalidArgument");
  });

  it("an unknown command or option runs nothing", async () => {
    expect((await usageError("aply", "p.yaml")).code).toBe("commander.unknownCommand");
    expect((await usageError("apply", "p.yaml", "--force")).code).toBe("commander.unknownOption");
  });
});

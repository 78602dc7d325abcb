/**
 * argv → options → command. The only module that reads argv, decides exit codes and prints
 * user errors. Command modules are imported lazily so `migrate --help` stays quick.
 */
import { Command, CommanderError, InvalidArgumentError, Option, type OutputConfiguration } from "commander";
import { BugError, isMigrateError } from "../errors.ts";
import { ExitCode, exitCodeFor } from "../exit-codes.ts";
import { LOG_LEVELS } from "../log/levels.ts";
import { STEPS } from "../steps/names.ts";
import { formatError } from "./format-error.ts";
import { jsonOption, outputOption } from "./output-format.ts";
import { VERSION } from "./version.ts";

/** The command names, each a module `./commands/<name>.ts` exporting `run`. */
export type CommandName =
  | "validate"
  | "plan"
  | "schema"
  | "inventory"
  | "apply"
  | "rehearse"
  | "sync"
  | "seed"
  | "status"
  | "rollback"
  | "finalize"
  | "prepare"
  | "report"
  | "logs"
  | "runner"
  | "cancel"
  | "state"
  | "completion";

/** Calls a command with commander's arguments (its positionals, then its options object). */
export type CommandRunner = (name: CommandName, args: unknown[]) => Promise<number>;

/** Lazily import `./commands/<name>.ts` so `migrate --help` stays quick, and call its `run`. */
export const runCommand: CommandRunner = async (name, args) => {
  const module = (await import(`./commands/${name}.ts`)) as { run: (...args: unknown[]) => Promise<number> };
  return module.run(...args);
};

export interface ProgramOptions {
  /** Default: runCommand. Tests pass one that records argv → options without running a command. */
  run?: CommandRunner;
  /** Where commander writes help and usage errors (default: stdout and stderr). */
  output?: OutputConfiguration;
}

/** `--wave 2`: a positive whole number, else a usage error naming the value. */
function waveNumber(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("a wave is a whole number from 1");
  return Number(value);
}

export function buildProgram(options: ProgramOptions = {}): Command {
  const run = options.run ?? runCommand;
  // The last argument commander passes an action is the Command itself: not the command's.
  const lazy =
    (name: CommandName) =>
    async (...args: unknown[]): Promise<void> => {
      process.exitCode = await run(name, args.slice(0, -1));
    };
  const program = new Command("migrate")
    .description("Move bureau systems into government-cloud tenants, driven by a YAML plan.")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    .configureOutput(options.output ?? {})
    .exitOverride();

  program
    .command("validate")
    .description("Check plans against the schema and every rule; print located diagnostics.")
    .argument("<plan...>", "plan files")
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .option("--inventory <file>", "inventory JSON from `migrate inventory` (CPU architecture, sizes)")
    .addHelpText("after", "\nExample:\n  $ migrate validate plans/*.yaml\n")
    .action(lazy("validate"));

  program
    .command("plan")
    .description(
      "Dry run: an overview per wave of what apply would do (--verbose: every action). Executes nothing.",
    )
    .argument("<plan>", "plan file")
    .addOption(outputOption(["auto", "plain", "json"]))
    .addOption(jsonOption())
    .option("-v, --verbose", "after the overview, every step's actions and undo")
    .option("--wave <n>", "only this wave", waveNumber)
    .option("--inventory <file>", "inventory JSON: sizes and transfer-time estimates")
    .option("--state-dir <dir>", "journal directory (default: .migrate/ beside the plan)")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .option(
      "--detailed-exitcode",
      "exit 2 when the plan is valid and work is pending (0 only when nothing is)",
    )
    .option(
      "--offline",
      "ask no host: the replication preflight is not run (its findings come from --inventory if recorded there)",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 valid (with --detailed-exitcode: nothing to do), 2 work pending (with --detailed-exitcode), 1 error.\nExamples:\n  $ migrate plan plans/henan-finance.yaml\n  $ migrate plan plans/henan-finance.yaml --wave 2 --verbose\n",
    )
    .action(lazy("plan"));

  program
    .command("schema")
    .description("Print the plan's JSON Schema (for editors and CI).")
    .addHelpText("after", "\nExample:\n  $ migrate schema > plan.schema.json\n")
    .action(lazy("schema"));

  program
    .command("inventory")
    .description("Collect facts from every source and target host over SSH; report drift against the plan.")
    .argument("<plan>", "plan file")
    .option("--out <file>", "write the inventory JSON here")
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .option("--accept-new-host-keys", "trust and record host keys not yet known (first contact only)")
    .addHelpText("after", "\nExample:\n  $ migrate inventory plans/henan-finance.yaml --out inventory.json\n")
    .action(lazy("inventory"));

  program
    .command("apply")
    .description("Run the plan: snapshot, transfer, reconfigure, cutover, verify. Resumes from the journal.")
    .argument("<plan>", "plan file")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--state-dir <dir>", "journal directory (default: .migrate/ beside the plan)")
    .option("--ignore-window", "allow cutovers outside their maintenance window")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .option("--only <workloads>", "comma-separated workload names")
    .addOption(
      new Option(
        "--stop-before <step>",
        "end each workload before this step, e.g. cutover: ready for cutover; a later apply does the rest",
      ).choices(STEPS.slice(1)),
    )
    .option("--accept-new-host-keys", "trust and record host keys not yet known (first contact only)")
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .addHelpText(
      "after",
      "\nExit codes: 0 all succeeded, 3 some failed/rolled back/skipped, 4 preflight refused, 5 locked or plan changed, 64 usage, 130 interrupted.\nExamples:\n  $ migrate apply plans/henan-finance.yaml --yes\n  $ migrate apply plans/henan-finance.yaml --stop-before cutover --yes   # ready for cutover\n",
    )
    .action(lazy("apply"));

  // rehearse and sync: run kinds of apply's engine, with the same selection and output options.
  const runKind = (name: "rehearse" | "sync", description: string, after: string) =>
    program
      .command(name)
      .description(description)
      .argument("<plan>", "plan file")
      .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
      .option("--state-dir <dir>", "journal directory (default: .migrate/ beside the plan)")
      .option("--only <workloads>", "comma-separated workload names")
      .option("--accept-new-host-keys", "trust and record host keys not yet known (first contact only)")
      .addOption(outputOption(["auto", "plain", "json", "github"]))
      .addOption(jsonOption())
      .addHelpText("after", after)
      .action(lazy(name));
  runKind(
    "rehearse",
    "Rehearse on the targets: snapshot, transfer, reconfigure, start the targets' services, verify them directly, stop them. No freeze, no switch.",
    "\nExit codes: 0 every rehearsal passed, 3 some failed/skipped, 4 preflight refused, 5 locked or plan changed, 64 usage (a workload already cut over), 130 interrupted.\nExample:\n  $ migrate rehearse plans/henan-finance.yaml --only land-revenue --yes\n",
  );
  runKind(
    "sync",
    "Keep warm: snapshot, transfer and reconfigure again without a freeze, so the final delta stays small.",
    "\nExit codes: 0 all synced, 3 some failed/skipped, 4 preflight refused, 5 locked or plan changed, 64 usage (a workload already cut over), 130 interrupted.\nExample:\n  $ migrate sync plans/henan-finance.yaml --yes\n",
  );

  program
    .command("seed")
    .description(
      "Seed bundles for disk-carried data: export a workload's files to a directory, import them on its target.",
    )
    .argument("<action>", "export or import")
    .argument("<plan>", "plan file")
    .requiredOption("--only <workload>", "the one workload the bundle is for")
    .option("--to <dir>", "export: an empty directory for the bundle (e.g. on a removable disk)")
    .option("--from <dir>", "import: the bundle directory")
    .option("--chunk-size <size>", "export: file content per chunk at most, e.g. 512MiB (default 1GiB)")
    .addOption(
      new Option(
        "--output <format>",
        "plain progress on stderr, or json: also each journaled chunk as NDJSON on stdout",
      )
        .choices(["plain", "json"])
        .default("plain"),
    )
    .option("--state-dir <dir>", "journal directory (default: .migrate/ beside the plan)")
    .option("--accept-new-host-keys", "trust and record host keys not yet known (first contact only)")
    .addHelpText(
      "after",
      "\nExit codes: 0 done (damaged chunks re-sent over the link are listed), 1 error, 4 host unreachable, 5 locked, 64 usage, 130 interrupted.\nExample:\n  $ migrate seed export plans/city.yaml --only portal --to /mnt/ferry/portal\n  $ migrate seed import plans/city.yaml --only portal --from /mnt/ferry/portal\n",
    )
    .action(lazy("seed"));

  program
    .command("status")
    .description("Show each wave, bureau and workload from the journal (also while apply runs).")
    .argument("<plan>", "plan file")
    .addOption(outputOption(["auto", "plain", "json"]))
    .addOption(jsonOption())
    .option("--state-dir <dir>", "journal directory")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .addHelpText("after", "\nExample:\n  $ migrate status plans/henan-finance.yaml\n")
    .action(lazy("status"));

  program
    .command("rollback")
    .description("Undo a workload's cutover: traffic back to the source, source services started.")
    .argument("<plan>", "plan file")
    .argument("<workload>", "workload name")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--state-dir <dir>", "journal directory")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .option(
      "--discard-target-writes",
      "after a replicated cutover, roll back even when the target's writes cannot be carried back (they stay in the target's database)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ migrate rollback plans/henan-finance.yaml land-revenue --yes\n  $ migrate rollback plans/henan-finance.yaml land-revenue --yes --state postgres://migrate@10.1.0.5/migrate_state\n",
    )
    .action(lazy("rollback"));

  program
    .command("finalize")
    .description(
      "After sign-off, end a verified workload's migration for good: source services disabled, staging removed; no rollback afterwards.",
    )
    .argument("<plan>", "plan file")
    .option("--only <workloads>", "comma-separated workload names")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--state-dir <dir>", "journal directory")
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .addHelpText(
      "after",
      "\nExample:\n  $ migrate finalize plans/henan-finance.yaml --only land-revenue --yes\n",
    )
    .action(lazy("finalize"));

  program
    .command("prepare")
    .description(
      "In an earlier window, set the source database settings replication needs that take a restart (PostgreSQL wal_level and, if short, slots and senders; MariaDB log_bin, ROW binlogs, server_id); restart only with --restart.",
    )
    .argument("<plan>", "plan file")
    .option("--only <workloads>", "comma-separated workload names")
    .option(
      "--restart",
      "restart the source database server so the settings take effect (inside the workload's window)",
    )
    .option("--ignore-window", "allow --restart outside the workload's maintenance window")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--state-dir <dir>", "journal directory (default: .migrate/ beside the plan)")
    .addOption(outputOption(["auto", "plain", "json", "github"]))
    .addOption(jsonOption())
    .addHelpText(
      "after",
      "\nExit codes: 0 settings set (or nothing needed; a restart still pending is said), 1 a database could not be prepared, 4 a host not reachable or trusted, 5 state locked, 6 --restart outside the window, 64 usage, 130 interrupted; nothing is changed before a refusal.\nExamples:\n  $ migrate prepare plans/henan-finance.yaml --only land-revenue\n  $ migrate prepare plans/henan-finance.yaml --only land-revenue --restart --yes\n",
    )
    .action(lazy("prepare"));

  program
    .command("report")
    .description("Sign-off report per run and bureau, from the journal.")
    .argument("<plan>", "plan file")
    .addOption(new Option("--format <format>", "md or html").choices(["md", "html"]).default("md"))
    .option("--out <file>", "write the report here instead of stdout")
    .option("--bureau <name>", "only this bureau")
    .option("--state-dir <dir>", "journal directory")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .option("--inventory <file>", "inventory JSON: adds the domestic-CPU readiness table")
    .addHelpText(
      "after",
      "\nExample:\n  $ migrate report plans/henan-finance.yaml --format html --out signoff.html\n",
    )
    .action(lazy("report"));

  program
    .command("logs")
    .description("Pretty-print a run's structured log (default: the latest run).")
    .argument("<plan>", "plan file")
    .argument("[run]", "run id")
    .option("--state-dir <dir>", "journal directory")
    .addOption(
      new Option("--level <level>", "show only entries at this level or more severe").choices(LOG_LEVELS),
    )
    .option("--workload <name>", "show only one workload's entries")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .addOption(outputOption(["auto", "plain", "json"]))
    .addOption(jsonOption())
    .addHelpText(
      "after",
      "\nExamples:\n  $ migrate logs plans/henan-finance.yaml\n  $ migrate logs plans/henan-finance.yaml --level warn --workload land-revenue\n  $ migrate logs plans/henan-finance.yaml --state postgres://migrate@10.1.0.5/migrate_state\n",
    )
    .action(lazy("logs"));

  program
    .command("runner")
    .description(
      "Serve shared state: take the workloads of the hosts this machine reaches, one per lease, and run them.",
    )
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .option("--name <name>", "this runner's name in leases and the journal (default: host-pid)")
    .option("--hosts <hosts>", "comma-separated source hosts this runner reaches (default: all)")
    .option(
      "--zone <zone>",
      "take only workloads of this network zone (a workload's `zone`); with --hosts, both hold",
    )
    .option("--slots <n>", "workloads at once, each under its own lease (default 1)")
    .option("--lease-seconds <n>", "lease length; a runner silent this long is taken over (default 30)")
    .option(
      "--bandwidth <rate>",
      "this runner's own link, e.g. 40MiB/s (the plan's bandwidth is shared by all runners)",
    )
    .option(
      "--state-dir <dir>",
      "local copy of the workloads' artefacts, kept in the shared state (default: the plan's when its directory is on this machine, else ./.migrate)",
    )
    .option("--accept-new-host-keys", "trust and record host keys not yet known (first contact only)")
    .addHelpText(
      "after",
      "\nExample:\n  $ migrate runner --state postgres://migrate@10.1.0.5/migrate_state --name room-b --hosts tax-db,tax-web\n",
    )
    .action(lazy("runner"));

  program
    .command("cancel")
    .description(
      "Stop the plan's run in the shared state; runners stop their workloads at the next heartbeat.",
    )
    .argument("<plan>", "plan file")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .addHelpText(
      "after",
      "\nExample:\n  $ migrate cancel plans/henan-finance.yaml --state postgres://migrate@10.1.0.5/migrate_state\n",
    )
    .action(lazy("cancel"));

  program
    .command("state")
    .description(
      "Shared state: `push` moves the plan's file journal and its workloads' artefacts into the database (idempotent).",
    )
    .addArgument(new Command().createArgument("<action>", "push").choices(["push"]))
    .argument("<plan>", "plan file")
    .option(
      "--state <url>",
      "shared state: postgres://user@host/db (password from PGPASSWORD or ~/.pgpass); default MIGRATE_STATE_URL",
    )
    .option("--state-dir <dir>", "journal directory to push (default: .migrate/ beside the plan)")
    .addHelpText(
      "after",
      "\nExample:\n  $ migrate state push plans/henan-finance.yaml --state postgres://migrate@10.1.0.5/migrate_state\n",
    )
    .action(lazy("state"));

  program
    .command("completion")
    .description("Print a shell completion script.")
    .addArgument(new Command().createArgument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .addHelpText("after", '\nExample:\n  $ eval "$(migrate completion bash)"\n')
    .action(lazy("completion"));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    process.stderr.write(formatError(error));
    if (isMigrateError(error) && !(error instanceof BugError)) return exitCodeFor(error.kind);
    return ExitCode.error;
  }
}

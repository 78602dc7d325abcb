/**
 * `migrate inventory <plan> [--out FILE] [--json]`: facts from every host over SSH, drift
 * against the plan. Exit 0 fine, 1 drift error, 4 when any host could not be inventoried.
 */
import { readFile } from "node:fs/promises";
import { ExitCode } from "../../exit-codes.ts";
import type { HostInventory } from "../../inventory/host-facts.ts";
import type { InventoryReport } from "../../inventory/run-inventory.ts";
import type { InventoryTarget } from "../../inventory/targets.ts";
import { errorsOf, formatDiagnostic } from "../../plan/diagnostics.ts";
import type { DatabasePreflightFact } from "../../plan/replication-facts.ts";
import type { Plan } from "../../plan/schema.ts";
import type { SshPool } from "../../remote/pool.ts";
import { colourWanted } from "../../render/colour.ts";
import { annotation, plainAnnotation } from "../../render/github.ts";
import { type OutputFormat, outputFormat } from "../output-format.ts";
import { checkOutputFile, writeOutputFile } from "../paths.ts";

export interface InventoryOptions {
  out?: string;
  json?: boolean;
  acceptNewHostKeys?: boolean;
  output?: OutputFormat;
}

export async function run(file: string, options: InventoryOptions = {}): Promise<number> {
  const format = outputFormat(options);
  // Before any host is asked: facts collected for a file that cannot be written would be lost.
  if (options.out !== undefined) await checkOutputFile(options.out);
  // Loaded side by side: module loading is a large share of a short command's wall time.
  // Only what collection needs comes first; the validator and its schema library load while
  // the hosts are already being asked.
  const [
    { SshPool },
    { earlyPlan },
    { collectAll },
    { inventoryTargets, sameTargets },
    { createHostProgress },
  ] = await Promise.all([
    import("../../remote/pool.ts"),
    import("../../inventory/early-plan.ts"),
    import("../../inventory/collect-all.ts"),
    import("../../inventory/targets.ts"),
    import("../../render/host-progress.ts"),
  ]);
  const started = performance.now();
  const collectedAt = new Date().toISOString();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const poolFor = (targets: readonly InventoryTarget[]) =>
    new SshPool({
      hosts: targets.map((t) => t.host),
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      retryFailedConnections: false,
      onHostKeyRecorded: (host, fingerprint) =>
        process.stderr.write(`migrate: recorded new host key of ${host} (${fingerprint})\n`),
    });
  // Progress goes to stderr (a live table on a terminal, a line per host otherwise); stdout
  // stays the data. Opened on first use so it lists the hosts actually asked.
  let progress: Awaited<ReturnType<typeof createHostProgress>> | undefined;
  const collect = async (pool: SshPool, targets: readonly InventoryTarget[]) => {
    await progress?.close();
    progress = await createHostProgress({
      mode: format,
      title: `inventory of ${targets.length} hosts`,
      hosts: targets.map((t) => ({ name: t.host.name, role: t.role })),
    });
    const view = progress;
    return collectAll(targets, {
      remote: (name) => pool.remote(name),
      signal: controller.signal,
      onHostStart: (name) => view.start(name),
      onHostEnd: (name, ok, detail) => view.end(name, ok, detail),
    });
  };

  // Inventory only reads, so it starts from the plan as written while the plan is validated
  // (the slow part of start-up), and keeps those results only if the validated plan asks
  // exactly the same. Not when new host keys may be recorded: that waits for a valid plan.
  const text = await readFile(file, "utf8").catch(() => undefined);
  const early = text !== undefined && !options.acceptNewHostKeys ? earlyPlan(text) : undefined;
  const earlyTargets = early ? inventoryTargets(early) : undefined;
  let pool = earlyTargets ? poolFor(earlyTargets) : undefined;
  let speculative: Promise<Record<string, HostInventory>> | undefined;
  if (pool && earlyTargets) {
    speculative = collect(pool, earlyTargets);
    // An invalid plan abandons it; its rejection must not go unhandled meanwhile.
    speculative.catch(() => {});
  }
  try {
    const [{ loadPlanForInventory }, { inventoryReport }] = await Promise.all([
      import("../../inventory/load-plan.ts"),
      import("../../inventory/run-inventory.ts"),
    ]);
    const loaded = await loadPlanForInventory(file);
    const targets = inventoryTargets(loaded.plan);
    let hosts: Record<string, HostInventory>;
    if (speculative && earlyTargets && sameTargets(targets, earlyTargets)) {
      hosts = await speculative;
    } else {
      await pool?.close();
      pool = poolFor(targets);
      hosts = await collect(pool, targets);
    }
    await progress?.close();
    const replication = await replicationFacts(loaded.plan, hosts, pool!, controller.signal);
    const report = inventoryReport(loaded, hosts, {
      collectedAt,
      durationMs: Math.round(performance.now() - started),
    });
    if (replication.length > 0) report.replication = replication;
    await print(report, format, options.out);
    if (Object.values(report.hosts).some((facts) => !facts.ok)) return ExitCode.unreachable;
    return errorsOf(report.diagnostics).length > 0 ? ExitCode.error : ExitCode.ok;
  } finally {
    process.removeListener("SIGINT", onSigint);
    // Stops anything still running on the hosts (an abandoned early collection) before closing.
    controller.abort();
    await progress?.close();
    await pool?.close();
  }
}

/**
 * The replication preflight of every database that would replicate, over the same connections
 * (read-only); a host inventory could not reach leaves its databases "not run" with its error.
 */
async function replicationFacts(
  plan: Plan,
  hosts: Record<string, HostInventory>,
  pool: SshPool,
  signal: AbortSignal,
): Promise<DatabasePreflightFact[]> {
  const { probeReplication } = await import("../../engine/planning/replication-probe.ts");
  const skip = new Map(
    Object.entries(hosts)
      .filter(([, facts]) => !facts.ok)
      .map(([name, facts]) => [name, `not reachable: ${facts.error?.message ?? "failed"}`]),
  );
  return probeReplication(plan.workloads, { remote: async (host) => pool.remote(host), signal, skip });
}

async function print(report: InventoryReport, format: OutputFormat, out: string | undefined): Promise<void> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (out) await writeOutputFile(out, json);
  if (format === "json") {
    process.stdout.write(json);
    // Data on stdout; the drift still reaches whoever watches stderr.
    for (const d of report.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  } else if (format === "github") {
    for (const d of report.diagnostics) process.stdout.write(`${annotation(d)}\n`);
    for (const [name, facts] of Object.entries(report.hosts)) {
      if (!facts.ok) {
        process.stdout.write(
          `${plainAnnotation("error", `migrate: ${name} unreachable`, facts.error?.message ?? "")}\n`,
        );
      }
    }
  } else {
    const { renderInventory } = await import("../../inventory/render-table.ts");
    process.stdout.write(renderInventory(report, { colour: colourWanted(process.stdout.isTTY === true) }));
  }
}

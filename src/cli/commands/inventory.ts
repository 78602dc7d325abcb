/**
 * `migrate inventory <plan> [--out FILE] [--json]`: facts from every host over SSH, drift
 * against the plan. Exit 0 fine, 1 drift error, 4 when any host could not be inventoried.
 */
import { readFile, writeFile } from "node:fs/promises";
import { ExitCode } from "../../exit-codes.ts";
import type { InventoryReport } from "../../inventory/run-inventory.ts";
import { errorsOf, formatDiagnostic } from "../../plan/diagnostics.ts";
import type { Host } from "../../plan/schema.ts";
import type { SshPool, SshPoolOptions } from "../../remote/pool.ts";
import { colourWanted } from "../../render/colour.ts";
import { annotation, plainAnnotation } from "../../render/github.ts";

export interface InventoryOptions {
  out?: string;
  json?: boolean;
  acceptNewHostKeys?: boolean;
  output?: "auto" | "plain" | "json" | "github";
}

export async function run(file: string, options: InventoryOptions = {}): Promise<number> {
  // Loaded side by side: module loading is a large share of a short command's wall time.
  const [{ SshPool, planHosts }, { earlyHosts, sameHosts }] = await Promise.all([
    import("../../remote/pool.ts"),
    import("../../inventory/early-hosts.ts"),
  ]);
  const poolFor = (hosts: readonly Host[]) =>
    new SshPool({
      hosts,
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      retryFailedConnections: false,
      onHostKeyRecorded: (host, fingerprint) =>
        process.stderr.write(`migrate: recorded new host key of ${host} (${fingerprint})\n`),
    } satisfies SshPoolOptions);
  // Connections open while the plan is validated (the slow part of start-up). Not when new host
  // keys may be recorded: that must wait for a valid plan.
  const text = await readFile(file, "utf8").catch(() => undefined);
  const early = text !== undefined && !options.acceptNewHostKeys ? earlyHosts(text) : undefined;
  let pool: SshPool | undefined;
  if (early) {
    pool = poolFor(early);
    pool.prewarm(early.map((h) => h.name));
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const { loadPlanForInventory } = await import("../../inventory/load-plan.ts");
    const loaded = await loadPlanForInventory(file);
    const hosts = planHosts(loaded.plan);
    if (!pool || !early || !sameHosts(hosts, early)) {
      await pool?.close();
      pool = poolFor(hosts);
    }
    const active = pool;
    const { runInventory } = await import("../../inventory/run-inventory.ts");
    const report = await runInventory(loaded, {
      remote: (name) => active.remote(name),
      signal: controller.signal,
    });
    await print(report, options);
    if (Object.values(report.hosts).some((facts) => !facts.ok)) return ExitCode.unreachable;
    return errorsOf(report.diagnostics).length > 0 ? ExitCode.error : ExitCode.ok;
  } finally {
    process.removeListener("SIGINT", onSigint);
    await pool?.close();
  }
}

async function print(report: InventoryReport, options: InventoryOptions): Promise<void> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.out) await writeFile(options.out, json);
  if (options.json || options.output === "json") {
    process.stdout.write(json);
    // Data on stdout; the drift still reaches whoever watches stderr.
    for (const d of report.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  } else if (options.output === "github") {
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

/**
 * `migrate inventory <plan> [--out FILE] [--json]`: facts from every host over SSH, drift
 * against the plan. Exit 0 fine, 1 drift error, 4 when any host could not be inventoried.
 */
import { writeFile } from "node:fs/promises";
import { ExitCode } from "../../exit-codes.ts";
import { loadPlanForInventory } from "../../inventory/load-plan.ts";
import { renderInventory } from "../../inventory/render-table.ts";
import { runInventory } from "../../inventory/run-inventory.ts";
import { errorsOf, formatDiagnostic } from "../../plan/diagnostics.ts";
import { planHosts, SshPool } from "../../remote/pool.ts";
import { colourWanted } from "../../render/colour.ts";
import { annotation, plainAnnotation } from "../../render/github.ts";

export interface InventoryOptions {
  out?: string;
  json?: boolean;
  acceptNewHostKeys?: boolean;
  output?: "auto" | "plain" | "json" | "github";
}

export async function run(file: string, options: InventoryOptions = {}): Promise<number> {
  const loaded = await loadPlanForInventory(file);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const pool = new SshPool({
    hosts: planHosts(loaded.plan),
    acceptNewHostKeys: options.acceptNewHostKeys ?? false,
    onHostKeyRecorded: (host, fingerprint) =>
      process.stderr.write(`migrate: recorded new host key of ${host} (${fingerprint})\n`),
  });
  try {
    const report = await runInventory(loaded, {
      remote: (name) => pool.remote(name),
      signal: controller.signal,
    });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (options.out) await writeFile(options.out, json);
    const github = options.output === "github";
    if (options.json || options.output === "json") {
      process.stdout.write(json);
      // Data on stdout; the drift still reaches whoever watches stderr.
      for (const d of report.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    } else if (github) {
      for (const d of report.diagnostics) process.stdout.write(`${annotation(d)}\n`);
      for (const [name, facts] of Object.entries(report.hosts)) {
        if (!facts.ok)
          process.stdout.write(
            `${plainAnnotation("error", `migrate: ${name} unreachable`, facts.error?.message ?? "")}\n`,
          );
      }
    } else {
      process.stdout.write(renderInventory(report, { colour: colourWanted(process.stdout.isTTY === true) }));
    }
    if (Object.values(report.hosts).some((facts) => !facts.ok)) return ExitCode.unreachable;
    return errorsOf(report.diagnostics).length > 0 ? ExitCode.error : ExitCode.ok;
  } finally {
    process.removeListener("SIGINT", onSigint);
    await pool.close();
  }
}

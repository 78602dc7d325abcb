/**
 * The human view of an inventory: one row per host, then unreachable hosts with their reason,
 * then located drift diagnostics. Pure: report in, text out.
 */

import { formatBytes } from "../plan/bytes.ts";
import { formatDiagnostic } from "../plan/diagnostics.ts";
import { listNatives } from "../plan/portability-findings.ts";
import type { DatabasePreflightFact } from "../plan/replication-facts.ts";
import { palette as makePalette, type Palette } from "../render/colour.ts";
import { formatDuration } from "../render/format.ts";
import type { HostInventory } from "./host-facts.ts";
import { filesystemFor } from "./parse-df.ts";
import type { InventoryReport } from "./run-inventory.ts";

const HEADERS = [
  "HOST",
  "ROLE",
  "STATUS",
  "OS",
  "ARCH",
  "CPU",
  "MEMORY",
  "FREE /",
  "PLAN DATA",
  "SERVICES",
  "DATABASES",
  "CRON",
  "TIME",
];

function dataOf(facts: HostInventory): string {
  const paths = Object.values(facts.paths ?? {});
  if (paths.length === 0 && (facts.missingPaths?.length ?? 0) === 0) return "-";
  const bytes = paths.reduce((sum, p) => sum + p.bytes, 0);
  const files = paths.reduce((sum, p) => sum + p.files, 0);
  const missing = facts.missingPaths?.length ? ` (${facts.missingPaths.length} missing)` : "";
  return `${formatBytes(bytes)} / ${files} files${missing}`;
}

function databasesOf(facts: HostInventory): string {
  const running = (facts.databases ?? []).filter((s) => s.running);
  if (running.length === 0) return "-";
  return running
    .map(
      (s) =>
        `${s.engine} ${(s.version ?? "").split(" ")[0]}:${s.port} (${s.databases.length} db, ${formatBytes(s.databases.reduce((n, d) => n + d.bytes, 0))})`,
    )
    .join(", ");
}

function row(name: string, facts: HostInventory, colour: Palette): string[] {
  const status = facts.ok ? colour.green("ok") : colour.red(facts.error?.kind ?? "failed");
  if (!facts.ok)
    return [name, facts.role, status, "", "", "", "", "", "", "", "", "", formatDuration(facts.durationMs)];
  const root = filesystemFor("/", facts.filesystems ?? []);
  return [
    name,
    facts.role,
    status,
    facts.os?.prettyName ?? facts.os?.name ?? facts.kernel ?? "?",
    facts.arch ?? "?",
    String(facts.cpus ?? "?"),
    facts.memory?.totalBytes ? formatBytes(facts.memory.totalBytes) : "?",
    root ? formatBytes(root.freeBytes) : "?",
    dataOf(facts),
    String(facts.services?.length ?? 0),
    databasesOf(facts),
    String(facts.crontabs?.length ?? 0),
    formatDuration(facts.durationMs),
  ];
}

/** Pad columns by visible width (colour codes do not count). */
function table(rows: string[][]): string {
  const width = (text: string) => text.replace(/\u001b\[\d+m/g, "").length;
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((r) => width(r[column] ?? ""))));
  return rows
    .map((r) =>
      r
        .map((cell, column) => cell + " ".repeat(widths[column]! - width(cell)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function replicationLines(fact: DatabasePreflightFact): string[] {
  const name = `  ${fact.workload}/${fact.database} (${fact.engine})`;
  if (fact.notRun !== undefined) return [`${name}: not run: ${fact.notRun}`];
  const blocks = fact.findings.filter((f) => f.severity === "block");
  const rate =
    fact.writeBytesPerSecond === undefined
      ? ""
      : `; source writes ${formatBytes(fact.writeBytesPerSecond)}/s`;
  const lag = fact.lag
    ? `; running replication ${formatBytes(fact.lag.bytes)} behind, applying ${formatBytes(fact.lag.applyBytesPerSecond)}/s`
    : "";
  const verdict =
    blocks.length === 0 ? "can replicate" : `cannot replicate (${blocks.map((b) => b.code).join(", ")})`;
  return [
    `${name}: ${verdict}${rate}${lag}`,
    ...fact.findings.flatMap((f) => [`    ${f.severity} ${f.code}: ${f.message}`, `      fix: ${f.hint}`]),
  ];
}

export function renderInventory(report: InventoryReport, options: { colour?: boolean } = {}): string {
  const colour = makePalette(options.colour ?? false);
  const names = Object.keys(report.hosts);
  const rows = [
    HEADERS.map((h) => colour.bold(h)),
    ...names.map((name) => row(name, report.hosts[name]!, colour)),
  ];
  const out = [table(rows)];
  const failed = names.filter((name) => !report.hosts[name]!.ok);
  if (failed.length > 0) {
    out.push("", colour.red(`${failed.length} of ${names.length} hosts failed:`));
    for (const name of failed) {
      const error = report.hosts[name]!.error;
      out.push(`  ${name}: ${error?.message ?? "failed"}${error?.hint ? `\n    hint: ${error.hint}` : ""}`);
    }
  }
  const scanned = Object.entries(report.workloads);
  if (scanned.length > 0) {
    out.push("", colour.bold("CPU-specific content (portability scan):"));
    for (const [name, facts] of scanned) {
      const machines = Object.entries(facts.machines).map(([m, n]) => `${n} ${m}`);
      const found =
        facts.nativeCount === 0
          ? "nothing native"
          : `${machines.join(", ")}: ${listNatives(facts.native, facts.nativeCount)}`;
      const runtimes = facts.runtimes.map((r) => `${r.name} ${r.version ?? "?"} (${r.machine ?? "?"})`);
      const cut = facts.truncated ? " (scan truncated)" : "";
      out.push(
        `  ${name} on ${facts.source}: ${found}${cut}${runtimes.length ? `; runtimes: ${runtimes.join(", ")}` : ""}`,
      );
    }
  }
  if (report.replication && report.replication.length > 0) {
    out.push("", colour.bold("Replication preflight (databases that would replicate):"));
    for (const fact of report.replication) out.push(...replicationLines(fact));
  }
  if (report.diagnostics.length > 0) {
    out.push("", colour.bold("Drift against the plan:"));
    for (const diagnostic of report.diagnostics) out.push(formatDiagnostic(diagnostic));
  } else if (failed.length < names.length) {
    out.push("", colour.green("No drift against the plan on the reachable hosts."));
  }
  out.push("", colour.dim(`${names.length} hosts in ${formatDuration(report.durationMs)}`));
  return `${out.join("\n")}\n`;
}

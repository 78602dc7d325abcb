/**
 * The databases section of `migrate plan`: per database the mode apply would choose and why,
 * what the replication preflight found (or why it did not run), the `migrate prepare` suggestion
 * for settings that need a restart, and the projected catch-up of a replicated database.
 */
import type { PlannedDatabase, ProjectedCatchUp } from "../engine/planning/plan-databases.ts";
import type { RunWorkload } from "../engine/planning/planner.ts";
import { formatBytes } from "../plan/bytes.ts";
import { formatTime } from "../plan/time.ts";

const SETTING_OF: Record<string, string> = {
  "wal-level": "wal_level = logical",
  "replication-slots": "max_replication_slots",
  "wal-senders": "max_wal_senders",
  "log-bin": "log_bin",
  "binlog-format": "binlog_format = ROW",
  "server-id": "server_id",
};

function seconds(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** The projected catch-up in words, saying whether it was measured or estimated. */
export function catchUpText(catchUp: ProjectedCatchUp): string {
  if (catchUp.stalled) {
    const growth = formatBytes(catchUp.writeBytesPerSecond ?? 0);
    return `replication NOT applying now (its SSH tunnel lives only while migrate runs): ${formatBytes(catchUp.lagBytes ?? 0)} behind and growing ${growth}/s; the cutover resumes it just before the freeze, so this backlog is applied inside the downtime: at most ~${seconds(catchUp.seconds)} s if the target applies only as fast as the source writes (measured now; an upper bound)`;
  }
  if (catchUp.basis === "measured") {
    const rate = catchUp.applyBytesPerSecond ?? 0;
    return `projected catch-up at the cutover ~${seconds(catchUp.seconds)} s (measured now on the running replication: ${formatBytes(catchUp.lagBytes ?? 0)} behind, applying ${formatBytes(rate)}/s)`;
  }
  const rate = catchUp.writeBytesPerSecond ?? 0;
  const why =
    rate === 0
      ? "the source wrote nothing while measured"
      : `the source writes ${formatBytes(rate)}/s; the target trails by about 1 s of writes at the freeze and applies at least as fast as the source writes`;
  return `projected catch-up at the cutover ~${seconds(catchUp.seconds)} s (ESTIMATE, no replication runs yet: ${why}; measured once one runs, e.g. after \`apply --stop-before cutover\`)`;
}

function preflightText(db: PlannedDatabase, timeZone: string): string {
  const { preflight } = db;
  if (preflight.status === "not-needed" || preflight.status === "not-run") return "";
  const where = preflight.from === "inventory" ? "recorded by inventory" : "checked on the hosts";
  return preflight.checkedAt ? ` (${where} ${formatTime(preflight.checkedAt, timeZone)})` : "";
}

function databaseLines(
  workload: RunWorkload,
  db: PlannedDatabase,
  planFile: string,
  engineName: string,
  timeZone: string,
): string[] {
  const mode = db.refused ? "replicate REFUSED" : db.mode;
  const lines = [
    `  - ${workload.name}/${db.name} (${db.engine}): ${mode}: ${db.reason}${preflightText(db, timeZone)}`,
  ];
  if (db.catchUp) lines.push(`      ${catchUpText(db.catchUp)}`);
  for (const finding of db.findings) {
    lines.push(`      ${finding.severity} ${finding.code}: ${finding.message}`);
    lines.push(`        fix: ${finding.hint}`);
  }
  if (db.prepare) {
    const settings = db.prepare.map((code) => SETTING_OF[code] ?? code).join(", ");
    lines.push(
      `      suggestion: \`migrate prepare ${planFile} --only ${workload.name}\` sets ${settings} in an earlier window; it takes effect after a restart of ${engineName} (\`--restart\`, inside the workload's window)`,
    );
  }
  return lines;
}

/** The section's lines (empty when no pending workload shown has databases). */
export function databasesSection(
  workloads: readonly RunWorkload[],
  planFile: string,
  timeZone: string,
): string[] {
  const shown = workloads.filter((w) => w.status !== "done" && (w.databases?.length ?? 0) > 0);
  if (shown.length === 0) return [];
  const lines: string[] = [];
  for (const workload of shown)
    for (const db of workload.databases ?? [])
      lines.push(
        ...databaseLines(
          workload,
          db,
          planFile,
          db.engine === "postgresql" ? "PostgreSQL" : "MariaDB",
          timeZone,
        ),
      );
  return lines;
}

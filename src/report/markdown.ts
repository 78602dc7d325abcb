/** The sign-off report as Markdown (GitHub-flavoured tables), from the ReportModel only. */

import type { ReportModel, RunReport } from "./model.ts";
import { READINESS_HEADERS, readinessCells, SUMMARY_HEADERS, summaryCells } from "./readiness.ts";
import {
  bytesText,
  commandLine,
  dash,
  digestText,
  downtimeText,
  durationText,
  hintLines,
  operatorText,
  runDuration,
  systemsMovedText,
  verificationText,
  whenText,
} from "./text.ts";

function cell(text: string | number): string {
  return String(text).replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll(/\r?\n/g, " ");
}

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "_None._\n";
  const line = (cells: (string | number)[]) => `| ${cells.map(cell).join(" | ")} |`;
  return `${[line(head), `|${head.map(() => " --- ").join("|")}|`, ...rows.map(line)].join("\n")}\n`;
}

function runSection(run: RunReport, timeZone: string): string {
  const when = (iso: string | undefined) => whenText(iso, timeZone);
  const out: string[] = [];
  out.push(`## Run ${run.runId} (${run.command}, ${run.status})\n`);
  out.push(
    table(
      ["", ""],
      [
        ["Started", when(run.startedAt)],
        ["Ended", when(run.endedAt)],
        ["Duration", runDuration(run)],
        ["Run by", operatorText(run)],
        ["Command", `\`${commandLine(run)}\``],
        ["Plan hash", `\`${run.planHash}\``],
        ["Systems moved", systemsMovedText(run)],
        ["Bytes moved", bytesText(run.bytesMoved)],
      ],
    ),
  );
  if (run.stoppedBeforeSteps !== undefined) {
    // Empty tables would read as "nothing failed"; say what stopped the run instead.
    out.push("### Stopped before any step\n");
    out.push("The run stopped in its preflight checks; no host was changed. Reason:\n");
    out.push(`\`\`\`\n${run.stoppedBeforeSteps}\n\`\`\`\n`);
    return out.join("\n");
  }
  out.push("### Systems\n");
  out.push(
    table(
      ["Workload", "Bureau", "Wave", "Source → target", "Status", "Bytes", "Files", "Downtime vs budget"],
      run.workloads.map((w) => [
        w.name,
        w.bureau,
        w.wave,
        `${w.source} → ${w.target}`,
        w.reason ? `${w.status}: ${w.reason}` : w.status,
        bytesText(w.bytes),
        w.files ?? dash,
        downtimeText(w),
      ]),
    ),
  );
  out.push("### Data carried\n");
  out.push(
    table(
      ["Workload", "Verified in place", "Carried by seed", "Sent over the link"],
      run.workloads.map((w) => [
        w.name,
        bytesText(w.accounting.inPlace),
        bytesText(w.accounting.seeded),
        bytesText(w.accounting.sent),
      ]),
    ),
  );
  out.push("### Step timings\n");
  out.push(
    table(
      ["Workload", "Step", "Status", "Attempts", "Started", "Duration"],
      run.workloads.flatMap((w) =>
        w.steps.map((s) => [
          w.name,
          s.step,
          s.status,
          s.attempts,
          when(s.startedAt),
          durationText(s.durationMs),
        ]),
      ),
    ),
  );
  out.push("### Manifest digests and verification\n");
  out.push(
    table(
      ["Workload", "Manifest digest", "Verification", "Checks"],
      run.workloads.map((w) => [
        w.name,
        digestText(w),
        verificationText(w),
        w.verification.checks
          .map((c) => `${c.ok ? "✔" : "✘"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`)
          .join("; ") || dash,
      ]),
    ),
  );
  const failures = run.workloads.flatMap((w) =>
    w.failures.map((f) => [
      w.name,
      f.step,
      when(f.at),
      `${f.kind}${f.willRetry ? " (retried)" : ""}`,
      `${f.message}${f.host ? ` [${f.host}]` : ""}`,
    ]),
  );
  const rollbacks = run.workloads.flatMap((w) =>
    w.rollback
      ? [
          [
            w.name,
            when(w.rollback.at),
            w.rollback.ok ? "done" : `FAILED${w.rollback.message ? `: ${w.rollback.message}` : ""}`,
            durationText(w.rollback.durationMs),
          ],
        ]
      : [],
  );
  out.push("### Failures\n");
  out.push(table(["Workload", "Step", "At", "Kind", "Message"], failures));
  const hints = hintLines(run);
  if (hints.length > 0) out.push(`Hints:\n\n${hints.map((line) => `- ${cell(line)}`).join("\n")}\n`);
  out.push("### Rollbacks\n");
  out.push(table(["Workload", "At", "Result", "Duration"], rollbacks));
  return out.join("\n");
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [];
  out.push(
    `# Migration sign-off report: ${model.plan.name}${model.bureau ? ` (bureau ${model.bureau})` : ""}\n`,
  );
  out.push(
    `Owner: ${model.plan.owner}  \nPlan file: \`${model.plan.file}\`  \nGenerated: ${whenText(model.generatedAt, model.plan.timeZone)}  \n` +
      `Runs: ${model.runs.length}\n`,
  );
  if (model.plan.description) out.push(`${model.plan.description}\n`);
  out.push("## Progress by bureau (all runs)\n");
  out.push(
    table(
      ["Bureau", "Systems migrated", "Planned", "Percent"],
      [
        ...model.progress.map((b) => [b.bureau, b.migrated, b.planned, `${b.percent} %`]),
        ["**Total**", model.overall.migrated, model.overall.planned, `${model.overall.percent} %`],
      ],
    ),
  );
  out.push(
    table(
      ["Bureau", "Workload", "Latest status", "Run"],
      model.progress.flatMap((b) => b.workloads.map((w) => [b.bureau, w.name, w.status, w.runId ?? dash])),
    ),
  );
  if (model.readiness) {
    out.push("## Domestic-CPU readiness (measured by inventory)\n");
    out.push(table(SUMMARY_HEADERS, summaryCells(model.readiness)));
    out.push(table(READINESS_HEADERS, readinessCells(model.readiness)));
  }
  for (const run of [...model.runs].reverse()) out.push(runSection(run, model.plan.timeZone));
  out.push("## Acceptance\n");
  for (const b of model.progress) {
    out.push(`Accepted by (${b.bureau}): ______________________  Date: ____________\n`);
  }
  return out.join("\n");
}

/** The sign-off report as Markdown (GitHub-flavoured tables), from the ReportModel only. */

import type { ReportModel, RunReport } from "./model.ts";
import { READINESS_HEADERS, readinessCells, SUMMARY_HEADERS, summaryCells } from "./readiness.ts";
import { runTables } from "./run-tables.ts";
import { dash, runFacts, whenText } from "./text.ts";

function cell(text: string | number): string {
  return String(text).replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll(/\r?\n/g, " ");
}

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "_None._\n";
  const line = (cells: (string | number)[]) => `| ${cells.map(cell).join(" | ")} |`;
  return `${[line(head), `|${head.map(() => " --- ").join("|")}|`, ...rows.map(line)].join("\n")}\n`;
}

function runSection(run: RunReport, timeZone: string): string {
  const out: string[] = [];
  out.push(`## Run ${run.runId} (${run.command}, ${run.status})\n`);
  out.push(
    table(
      ["", ""],
      runFacts(run, timeZone, (text) => `\`${text}\``),
    ),
  );
  if (run.stoppedBeforeSteps !== undefined) {
    // Empty tables would read as "nothing failed"; say what stopped the run instead.
    out.push("### Stopped before any step\n");
    out.push("The run stopped in its preflight checks; no host was changed. Reason:\n");
    out.push(`\`\`\`\n${run.stoppedBeforeSteps}\n\`\`\`\n`);
    return out.join("\n");
  }
  for (const t of runTables(run, timeZone)) {
    out.push(`### ${t.title}\n`);
    out.push(
      table(
        t.headers,
        t.rows.map((row) => row.map((c) => c.text)),
      ),
    );
    const hints = t.hints ?? [];
    if (hints.length > 0) out.push(`Hints:\n\n${hints.map((line) => `- ${cell(line)}`).join("\n")}\n`);
  }
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

/**
 * The human form of a run plan, for `migrate plan` and apply's confirmation. An overview comes
 * first — per wave its workloads with bureau, tenant, window (in the plan's time zone), downtime
 * budget and pending steps — because that is what an operator checks and signs off. Each step's
 * actions (hundreds of lines for a dozen systems) come only with `verbose`, wrapped to the
 * terminal's width; `migrate plan --json` carries all of it for machines.
 */

import type { RunPlan, RunWave, RunWorkload } from "../engine/planning/planner.ts";
import { formatWindow } from "../plan/time.ts";
import { databasesSection } from "./plan-databases.ts";
import { workloadLines } from "./plan-details.ts";

/** The colours the text uses; render's Palette fits. */
export interface TextStyle {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
}

export interface PlanTextOptions {
  /** Each workload's steps and actions after the overview. */
  verbose?: boolean;
  /** Only this wave (overview, details and the closing count). */
  wave?: number;
  /** Wrap detail lines to this many columns (the terminal's); undefined: never wrap. */
  width?: number;
  style?: TextStyle;
  /**
   * The closing line. `plan`: what is pending and that nothing was executed (what `migrate
   * plan` prints); `none`: apply's confirmation, which asks right after the overview.
   */
  footer?: "plan" | "none";
  /** The plan file, for the hint that shows the details. */
  planFile?: string;
  /** Per workload, its last rehearsal in words (from the journal), shown under the overview. */
  rehearsals?: ReadonlyMap<string, string>;
}

const plain: TextStyle = { bold: (t) => t, dim: (t) => t, cyan: (t) => t };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function pendingSteps(w: RunWorkload): number {
  return w.steps.filter((s) => s.status === "pending").length;
}

function stepsText(w: RunWorkload): string {
  const pending = pendingSteps(w);
  if (pending === 0) return "done";
  return pending === w.steps.length ? String(pending) : `${pending} of ${w.steps.length}`;
}

/** The wave's window when all its workloads share one; `mixed` when they differ. */
function sharedWindow(wave: RunWave, timeZone: string): string | "mixed" {
  const texts = new Set(wave.workloads.map((w) => (w.window ? formatWindow(w.window, timeZone) : "")));
  if (texts.size > 1) return "mixed";
  const [only] = texts;
  return only ? `window ${only}` : "no window: cutover at any time";
}

/** Left-aligned columns, two spaces apart, with the given widths; the last column is not padded. */
function tableLine(row: readonly string[], widths: readonly number[]): string {
  return `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")}`.trimEnd();
}

interface WaveTable {
  head: string;
  /** Header row first; undefined for a finished wave (one line is enough). */
  rows?: string[][];
}

function waveTable(wave: RunWave, timeZone: string, style: TextStyle, width?: number): WaveTable {
  if (wave.status === "done")
    return {
      head: `${style.bold(`Wave ${wave.wave}`)} · done · ${plural(wave.workloads.length, "workload")}`,
    };
  const window = sharedWindow(wave, timeZone);
  const steps = wave.workloads.reduce((sum, w) => sum + pendingSteps(w), 0);
  const parts = [
    `Wave ${wave.wave}`,
    plural(wave.workloads.length, "workload"),
    `${plural(steps, "step")} pending`,
  ];
  const oneLine = [...parts, ...(window === "mixed" ? [] : [window])].join(" · ");
  // The window moves to its own line rather than being broken inside.
  const head =
    window !== "mixed" && width !== undefined && oneLine.length > width
      ? `${style.bold(parts[0]!)} · ${parts.slice(1).join(" · ")}\n  ${window}`
      : `${style.bold(parts[0]!)} · ${oneLine.slice(parts[0]!.length + 3)}`;
  const mixed = window === "mixed";
  const columns = ["WORKLOAD", "BUREAU", "TENANT", "BUDGET", "STEPS", ...(mixed ? ["WINDOW"] : [])];
  const rows = wave.workloads.map((w) => [
    w.name,
    w.bureau,
    w.tenant.name,
    w.downtimeBudget ?? "-",
    stepsText(w),
    ...(mixed ? [w.window ? formatWindow(w.window, timeZone) : "none"] : []),
  ]);
  return { head, rows: [columns, ...rows] };
}

/**
 * Every wave's table, columns aligned across waves. On a terminal too narrow for the lines the
 * tenant column goes (the details name it); a wrapped table reads worse than one column less.
 */
function overview(waves: readonly RunWave[], timeZone: string, style: TextStyle, width?: number): string[] {
  const tables = waves.map((wave) => waveTable(wave, timeZone, style, width));
  const render = (drop?: number): string[][] => {
    const shown = tables.map((t) => t.rows?.map((row) => row.filter((_, i) => i !== drop)));
    const all = shown.flatMap((rows) => rows ?? []);
    const widths = Array.from({ length: Math.max(0, ...all.map((r) => r.length)) }, (_, i) =>
      Math.max(...all.map((r) => r[i]?.length ?? 0)),
    );
    return shown.map((rows) => (rows ?? []).map((row) => tableLine(row, widths)));
  };
  let rendered = render();
  if (width !== undefined && rendered.flat().some((line) => line.length > width)) rendered = render(2);
  return tables.flatMap((t, i) => {
    const [header, ...rows] = rendered[i]!;
    return ["", t.head, ...(header === undefined ? [] : [style.dim(header), ...rows])];
  });
}

/**
 * Break a line longer than `width` at spaces; continuation lines are indented past the line's
 * own indent and list bullet, so wrapped actions stay readable as one item.
 */
export function wrapLine(line: string, width: number | undefined): string[] {
  if (width === undefined || line.length <= width) return [line];
  const lead = /^(\s*(?:- )?)/.exec(line)![1]!;
  // A bullet's continuation aligns with its text; a plain line's is indented two more.
  const hang = " ".repeat(lead.endsWith("- ") ? lead.length : lead.length + 2);
  const out: string[] = [];
  let current = lead;
  for (const word of line.slice(lead.length).split(" ")) {
    const base = current === lead || current === hang;
    if (!base && current.length + 1 + word.length > width) {
      out.push(current);
      current = hang + word;
    } else {
      current += (base ? "" : " ") + word;
    }
  }
  out.push(current);
  return out;
}

/** What `migrate plan` prints without --json (and apply shows before asking, without footer). */
export function runPlanText(run: RunPlan, options: PlanTextOptions = {}): string {
  const style = options.style ?? plain;
  const timeZone = run.defaults.timezone;
  const { summary } = run;
  const { concurrency, perHostConcurrency, perTenantConcurrency, bandwidth } = run.defaults;
  const bureaus = new Set(run.waves.flatMap((w) => w.workloads.map((x) => x.bureau)));
  const limit = bandwidth ? `, transfers limited to ${bandwidth} in total` : "";
  const lines = [
    style.bold(`Plan ${run.plan.name} (${run.plan.owner})`),
    ...[
      `${plural(summary.workloads, "workload")} of ${plural(bureaus.size, "bureau")} in ${plural(summary.waves, "wave")}; ${summary.pendingSteps} of ${summary.steps} steps pending`,
      `${concurrency} workloads at a time, ${perHostConcurrency} per source host, ${perTenantConcurrency} per tenant${limit}`,
      `Times in ${timeZone}`,
    ].flatMap((line) => wrapLine(line, options.width)),
  ];
  if (summary.pendingSteps === 0) {
    lines.push(`Nothing to do: all ${summary.workloads} workloads are done.`);
    return `${lines.join("\n")}\n`;
  }
  const waves = options.wave === undefined ? run.waves : run.waves.filter((w) => w.wave === options.wave);
  lines.push(...overview(waves, timeZone, style, options.width));
  const rehearsed = waves.flatMap((w) => w.workloads).filter((w) => options.rehearsals?.has(w.name));
  if (rehearsed.length > 0) {
    lines.push("", style.bold("Rehearsals"));
    for (const w of rehearsed)
      lines.push(...wrapLine(`  ${w.name}: ${options.rehearsals?.get(w.name)}`, options.width));
  }

  // The databases come with plan's own output, not apply's confirmation (apply checks right after).
  const databases =
    options.footer === "none"
      ? []
      : databasesSection(
          waves.flatMap((w) => w.workloads),
          options.planFile ?? "<plan>",
          timeZone,
        );
  if (databases.length > 0) {
    lines.push("", style.bold("Databases"));
    for (const line of databases) lines.push(...wrapLine(line, options.width));
  }

  if (options.verbose) {
    for (const wave of waves) {
      const pending = wave.workloads.filter((w) => w.status !== "done");
      if (pending.length === 0) continue;
      lines.push("", style.bold(`Wave ${wave.wave} in detail`));
      for (const w of pending)
        for (const line of workloadLines(w, timeZone)) lines.push(...wrapLine(line, options.width));
    }
  }

  if (options.footer === "none") return `${lines.join("\n")}\n`;
  const shown = waves.flatMap((w) => w.workloads);
  const pendingShown = shown.reduce((sum, w) => sum + pendingSteps(w), 0);
  const doneShown = shown.reduce((sum, w) => sum + w.steps.length, 0) - pendingShown;
  const scope = options.wave === undefined ? "" : `Wave ${options.wave}: `;
  const doneNote = doneShown > 0 ? `, ${doneShown} already done` : "";
  lines.push("");
  if (!options.verbose) {
    const hint = `Each step's actions and undo: migrate plan ${options.planFile ?? "<plan>"} --verbose (or --json)`;
    lines.push(...wrapLine(hint, options.width).map((line) => style.dim(line)));
  }
  const workloads = `${shown.filter((w) => pendingSteps(w) > 0).length} of ${shown.length} workloads`;
  const closing = `${scope}${pendingShown} steps pending in ${workloads}${doneNote}. Nothing was executed; run \`migrate apply\` to do this.`;
  lines.push(...wrapLine(closing, options.width));
  return `${lines.join("\n")}\n`;
}

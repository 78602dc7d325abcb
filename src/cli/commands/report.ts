/** `migrate report <plan>`: the sign-off document (Markdown or self-contained HTML) from the journal. */
import { readJournal } from "../../engine/journal/journal-read.ts";
import { readSeedJournal, seedBytes, seedJournalPath } from "../../engine/journal/seed-ledger.ts";
import { journalPath } from "../../engine/journal/state-dir.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { scrubberForPlan } from "../../log/scrub.ts";
import { unknownNameHint } from "../../plan/did-you-mean.ts";
import { readInventoryFacts } from "../../plan/inventory-facts.ts";
import { renderHtml } from "../../report/html.ts";
import { renderMarkdown } from "../../report/markdown.ts";
import { buildReport } from "../../report/model.ts";
import { checkOutputFile, readPlanState, writeOutputFile } from "../paths.ts";
import { sharedRecords } from "../shared-records.ts";

export interface ReportOptions {
  format: "md" | "html";
  out?: string;
  bureau?: string;
  stateDir?: string;
  state?: string;
  inventory?: string;
}

export async function run(planFile: string, options: ReportOptions): Promise<number> {
  if (options.out !== undefined) await checkOutputFile(options.out);
  const { loaded, root, planName } = await readPlanState(planFile, options.stateDir);
  const bureaus = [...new Set(loaded.plan.workloads.map((w) => w.bureau))];
  if (options.bureau !== undefined && !bureaus.includes(options.bureau)) {
    throw new UserError("usage", `--bureau ${options.bureau} is not a bureau of plan ${planName}`, {
      hint: unknownNameHint(options.bureau, bureaus, "bureaus"),
    });
  }
  const inventory = options.inventory ? await readInventoryFacts(options.inventory) : undefined;
  const records =
    (await sharedRecords(options.state, planName)) ??
    (await readJournal(journalPath(root, planName))).records;
  const model = buildReport({
    plan: loaded.plan,
    planFile,
    records,
    bureau: options.bureau,
    now: new Date(),
    ...(inventory ? { inventory } : {}),
    seeds: seedBytes(await readSeedJournal(seedJournalPath(root, planName))),
  });
  // A journal written before records were scrubbed may still hold a secret: never print it.
  const scrubber = scrubberForPlan(loaded.plan);
  const text = scrubber.text(options.format === "html" ? renderHtml(model) : renderMarkdown(model));
  if (options.out) {
    await writeOutputFile(options.out, text);
    process.stderr.write(
      `report written to ${options.out} (${model.runs.length} run(s), ${model.overall.migrated}/${model.overall.planned} systems migrated)\n`,
    );
  } else {
    process.stdout.write(text);
  }
  return ExitCode.ok;
}

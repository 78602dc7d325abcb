import { describe, expect, it } from "vitest";
import { renderHtml } from "../../../src/report/html.ts";
import { renderMarkdown } from "../../../src/report/markdown.ts";
import { buildReport } from "../../../src/report/model.ts";
import { factoryPlan, factoryRecords } from "../../support/journal-factory.ts";

const now = new Date("2026-12-07T09:00:00Z");
const model = buildReport({ plan: factoryPlan, planFile: "plan.yaml", records: factoryRecords(), now });

describe("report model", () => {
  it("counts per-bureau progress across runs from the latest status of each workload", () => {
    expect(model.progress.map((b) => [b.bureau, b.migrated, b.planned, b.percent])).toEqual([
      ["finance", 2, 2, 100],
      ['housing <fund> & "centre"', 0, 1, 0],
      ["science-and-technology", 0, 1, 0],
    ]);
    expect(model.overall).toEqual({ planned: 4, migrated: 2, percent: 50 });
    const housing = model.progress[1]?.workloads[0];
    expect(housing).toEqual({
      name: "housing-fund",
      status: "rolled-back",
      runId: "20261205T140000Z-aaaaaa",
    });
    expect(model.progress[2]?.workloads[0]).toEqual({ name: "grants-portal", status: "pending" });
  });

  it("reports each run with operator, systems moved, bytes, step timings and retries", () => {
    expect(model.runs.map((r) => [r.runId, r.status, r.systemsMoved, r.bytesMoved])).toEqual([
      ["20261205T140000Z-aaaaaa", "failed", 1, 2 * 1024 ** 3 + 4096 + 300 * 1024 ** 2],
      ["20261206T140000Z-bbbbbb", "succeeded", 1, 1024 ** 3],
    ]);
    const run1 = model.runs[0]!;
    expect(run1.operator?.user).toBe("ops");
    const land = run1.workloads.find((w) => w.name === "land-revenue")!;
    expect(land.status).toBe("failed");
    expect(land.steps.find((s) => s.step === "transfer")).toMatchObject({
      status: "failed",
      attempts: 2,
      durationMs: 18_000,
    });
    expect(land.failures.map((f) => [f.attempt, f.willRetry, f.kind])).toEqual([
      [1, true, "unreachable"],
      [2, false, "remote"],
    ]);
    expect(land.digest).toEqual({ value: "77aa", algorithm: "sm3" });
  });

  it("judges downtime against the budget and records verification and rollbacks", () => {
    const run1 = model.runs[0]!;
    const portal = run1.workloads.find((w) => w.name === "finance-portal")!;
    expect(portal).toMatchObject({ downtimeMs: 6000, downtimeBudgetMs: 300_000, budgetExceeded: false });
    expect(portal.verification).toMatchObject({ ran: true, ok: true });
    expect(portal.verification.checks).toHaveLength(2);
    expect(portal.targetDigest).toBe("9f2c41d0");
    const housing = run1.workloads.find((w) => w.name === "housing-fund")!;
    expect(housing.verification).toMatchObject({ ran: true, ok: false });
    expect(housing.rollback).toEqual({ at: "2026-12-05T14:00:17.000Z", ok: true, durationMs: 4000 });
    const land2 = model.runs[1]!.workloads[0]!;
    expect(land2).toMatchObject({
      name: "land-revenue",
      downtimeMs: 15_000,
      downtimeBudgetMs: 10_000,
      budgetExceeded: true,
    });
  });

  it("narrows everything to one bureau", () => {
    const finance = buildReport({
      plan: factoryPlan,
      planFile: "plan.yaml",
      records: factoryRecords(),
      now,
      bureau: "finance",
    });
    expect(finance.progress.map((b) => b.bureau)).toEqual(["finance"]);
    expect(finance.runs.flatMap((r) => r.workloads.map((w) => w.bureau))).toEqual([
      "finance",
      "finance",
      "finance",
    ]);
    const science = buildReport({
      plan: factoryPlan,
      planFile: "p",
      records: factoryRecords(),
      now,
      bureau: "science-and-technology",
    });
    expect(science.runs).toEqual([]);
    expect(science.overall).toEqual({ planned: 1, migrated: 0, percent: 0 });
  });
});

describe("markdown", () => {
  const md = renderMarkdown(model);
  it("has progress, per-run sections newest first, and a signature line per bureau", () => {
    expect(md).toContain("| finance | 2 | 2 | 100 % |");
    expect(md).toContain("| **Total** | 2 | 4 | 50 % |");
    expect(md.indexOf("## Run 20261206T140000Z-bbbbbb")).toBeLessThan(
      md.indexOf("## Run 20261205T140000Z-aaaaaa"),
    );
    expect(md).toContain("| Run by | ops@jump-01 (pid 4242, migrate 0.1.0) |");
    expect(md).toContain("15.0 s of 10.0 s (OVER BUDGET)");
    expect(md).toContain("sha256:9f2c41d0 (target matches)");
    expect(md).toContain("| Command | `migrate apply plan.yaml --yes` |");
    expect(md).toContain("Accepted by (science-and-technology): ______________________  Date: ____________");
  });
  it("gives each failure's remedy one line under the failures", () => {
    expect(md).toContain(
      "Hints:\n\n- housing-fund verify: check the target's application log \\| then apply again\n",
    );
  });

  it("prefixes a digest with its algorithm once", () => {
    const prefixed = buildReport({
      plan: factoryPlan,
      planFile: "plan.yaml",
      now,
      records: factoryRecords().map((r) =>
        r.type === "step-finish" && r.step === "verify" && r.workload === "finance-portal"
          ? {
              ...r,
              outputs: { ...r.outputs, manifestDigest: "sha256:9f2c", targetManifestDigest: "sha256:9f2c" },
            }
          : r,
      ),
    });
    expect(renderMarkdown(prefixed)).toContain("| sha256:9f2c (target matches) |");
  });

  it("lists per workload the bytes verified in place, carried by seed and sent over the link", () => {
    const seeded = buildReport({
      plan: factoryPlan,
      planFile: "plan.yaml",
      now,
      seeds: new Map([["finance-portal", { carried: 3 * 1024 ** 3, resent: 1024 ** 2 }]]),
      records: factoryRecords().map((r) =>
        r.type === "step-finish" && r.step === "transfer" && r.workload === "finance-portal"
          ? { ...r, outputs: { ...r.outputs, bytesSent: 5 * 1024 ** 2, bytesInPlace: 2 * 1024 ** 3 } }
          : r,
      ),
    });
    const portal = seeded.runs[0]!.workloads.find((w) => w.name === "finance-portal")!;
    expect(portal.accounting.inPlace).toBe(2 * 1024 ** 3);
    expect(portal.accounting.seeded).toBe(3 * 1024 ** 3);
    const text = renderMarkdown(seeded);
    expect(text).toContain("| Workload | Verified in place | Carried by seed | Sent over the link |");
    expect(text).toMatch(/\| finance-portal \| 2\.00 GiB \| 3\.00 GiB \| \d/);
    expect(renderHtml(seeded)).toContain('<table class="carried">');
  });

  it("escapes table cells", () => {
    expect(md).toContain("rsync exited 23 \\| partial transfer");
  });
});

describe("html", () => {
  const html = renderHtml(model);
  it("gives each failure's remedy one line under the failures", () => {
    expect(html).toContain(
      '<ul class="hints"><li>housing-fund verify: check the target&#39;s application log | then apply again</li></ul>',
    );
  });

  it("is self-contained: no scripts, no external references", () => {
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(
      html
        .match(/https?:\/\/[^\s"<]*/g)
        ?.every((url) => url.startsWith("http://www.w3.org/2000/svg") || url.startsWith("http://gw/")),
    ).toBe(true);
  });
  it("escapes names from the plan", () => {
    expect(html).toContain("housing &lt;fund&gt; &amp; &quot;centre&quot;");
    expect(html).not.toContain("housing <fund>");
  });
  it("has one timeline per run with a bar per step", () => {
    expect(html.match(/<svg [^>]*class="timeline"/g)).toHaveLength(2);
    expect(html.match(/class="bar failed"/g)?.length).toBe(2);
    // finance-portal's freeze (6 s measured) is drawn under its row.
    expect(html).toContain("<title>finance-portal downtime 0:06</title>");
  });
});

/**
 * Domestic-CPU readiness per bureau, from the inventory's portability scan: which systems run
 * as they are on the domestic CPU, which carry native components to rebuild, and which runtimes
 * need a build for it. Pure: plan and inventory in, rows out; `plan` and the sign-off report
 * render the same rows.
 */
import type { InventoryFacts } from "../plan/inventory-facts.ts";
import { foreignNatives, nativeLabel } from "../plan/portability-facts.ts";
import type { Plan } from "../plan/schema.ts";

/**
 * A tenant on x86 gives no domestic CPU to check against; readiness is then measured for
 * aarch64 (Kunpeng, Phytium), the most common domestic target.
 */
export const REFERENCE_DOMESTIC_ARCH = "aarch64";
const LISTED = 3;

export interface ReadinessRow {
  workload: string;
  /** The CPU readiness is measured for. */
  arch: string;
  /** Not scanned: the source was unreachable or the inventory predates the scan. */
  scanned: boolean;
  portableAsIs: boolean;
  /** Native components to rebuild, first ones with their machine. */
  rebuild: string[];
  rebuildCount: number;
  /** Runtimes its services start that need a build for `arch`. */
  runtimes: string[];
  declaredPortable: boolean;
}

export interface BureauReadiness {
  bureau: string;
  rows: ReadinessRow[];
  portableAsIs: number;
  needRebuild: number;
  notScanned: number;
  /** Distinct runtimes (name and version) that need a build, with the CPU. */
  runtimes: string[];
}

export function readinessArch(tenantArch: string): string {
  return tenantArch === "x86_64" || tenantArch === "i386" ? REFERENCE_DOMESTIC_ARCH : tenantArch;
}

function row(plan: Plan, workload: Plan["workloads"][number], inventory: InventoryFacts): ReadinessRow {
  const tenant = plan.tenants.find((t) => t.hosts.some((h) => h.name === workload.target));
  const arch = readinessArch(tenant?.arch ?? "x86_64");
  const facts = inventory.workloads?.[workload.name];
  if (!facts) {
    return {
      workload: workload.name,
      arch,
      scanned: false,
      portableAsIs: false,
      rebuild: [],
      rebuildCount: 0,
      runtimes: [],
      declaredPortable: workload.portable,
    };
  }
  const foreign = foreignNatives(facts, arch);
  const runtimes = facts.runtimes
    .filter((r) => r.machine !== arch)
    .map((r) => `${r.name}${r.version ? ` ${r.version}` : ""}`);
  return {
    workload: workload.name,
    arch,
    scanned: true,
    portableAsIs: foreign.length === 0,
    rebuild: foreign.slice(0, LISTED).map((f) => `${nativeLabel(f)} (${f.machine})`),
    rebuildCount: foreign.length,
    runtimes: [...new Set(runtimes)],
    declaredPortable: workload.portable,
  };
}

/** Rows per bureau in plan order; only `bureau` when given. */
export function buildReadiness(plan: Plan, inventory: InventoryFacts, bureau?: string): BureauReadiness[] {
  const bureaus = new Map<string, BureauReadiness>();
  for (const workload of plan.workloads) {
    if (bureau !== undefined && workload.bureau !== bureau) continue;
    const entry = bureaus.get(workload.bureau) ?? {
      bureau: workload.bureau,
      rows: [],
      portableAsIs: 0,
      needRebuild: 0,
      notScanned: 0,
      runtimes: [],
    };
    const r = row(plan, workload, inventory);
    entry.rows.push(r);
    if (!r.scanned) entry.notScanned += 1;
    else if (r.portableAsIs) entry.portableAsIs += 1;
    else entry.needRebuild += 1;
    for (const runtime of r.runtimes) {
      const label = `${runtime} for ${r.arch}`;
      if (!entry.runtimes.includes(label)) entry.runtimes.push(label);
    }
    bureaus.set(workload.bureau, entry);
  }
  return [...bureaus.values()];
}

/** `a (x86_64), b (x86_64) and 2 more`, or `-`. */
export function rebuildText(r: ReadinessRow): string {
  if (r.rebuildCount === 0) return "-";
  const more = r.rebuildCount - r.rebuild.length;
  return more > 0 ? `${r.rebuild.join(", ")} and ${more} more` : r.rebuild.join(", ");
}

export function statusText(r: ReadinessRow): string {
  if (!r.scanned) return "not scanned";
  return r.portableAsIs ? "portable as is" : "rebuild native components";
}

export const READINESS_HEADERS = [
  "Bureau",
  "System",
  "Checked for",
  "Status",
  "Native components to rebuild",
  "Runtimes needing a build",
];

export const SUMMARY_HEADERS = [
  "Bureau",
  "Systems",
  "Portable as is",
  "Need native rebuilds",
  "Runtimes needing a build",
];

/** The detail table's cells, one array per system. */
export function readinessCells(bureaus: readonly BureauReadiness[]): string[][] {
  return bureaus.flatMap((b) =>
    b.rows.map((r) => [
      b.bureau,
      r.workload,
      r.arch,
      statusText(r),
      rebuildText(r),
      r.runtimes.length > 0 ? r.runtimes.join(", ") : "-",
    ]),
  );
}

/** The per-bureau summary's cells. */
export function summaryCells(bureaus: readonly BureauReadiness[]): string[][] {
  return bureaus.map((b) => [
    b.bureau,
    String(b.rows.length),
    String(b.portableAsIs),
    String(b.needRebuild),
    b.runtimes.length > 0 ? b.runtimes.join(", ") : "-",
  ]);
}

/** Plain text for `plan`: aligned columns, summary first. */
export function readinessText(bureaus: readonly BureauReadiness[]): string {
  const align = (rows: string[][]) => {
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
    return rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join("  ")
          .trimEnd(),
      )
      .join("\n");
  };
  return [
    "Domestic-CPU readiness (measured by `migrate inventory`):",
    align([SUMMARY_HEADERS, ...summaryCells(bureaus)]),
    "",
    align([READINESS_HEADERS, ...readinessCells(bureaus)]),
    "",
  ].join("\n");
}

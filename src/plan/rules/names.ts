/**
 * Names the schema leaves as free strings but which reach SQL or nsupdate: table names in row
 * count checks and DNS names in dns cutovers. Restricting them keeps quoting simple and typos loud.
 */
import type { Finding } from "../diagnostics.ts";
import { verifyCheckPath, verifyChecks } from "../verify-checks.ts";
import { error, type Rule } from "./context.ts";

const TABLE = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
const DNS_NAME =
  /^(?=.{1,254}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$/;

export const names: Rule = (context) => {
  const out: Finding[] = [];
  context.plan.workloads.forEach((w, i) => {
    verifyChecks(w).forEach((check, c) => {
      if (!("rowCount" in check)) return;
      check.rowCount.tables.forEach((table, t) => {
        if (!TABLE.test(table)) {
          out.push(
            error(
              "unsafe-name",
              `table ${JSON.stringify(table)} is not a plain table name (letters, digits, _ and $, optionally schema.table)`,
              context.workloadPath(i, ...verifyCheckPath(w, c), "rowCount", "tables", t),
            ),
          );
        }
      });
    });
    const cutover = w.cutover;
    if (cutover?.strategy !== "dns") return;
    for (const key of ["zone", "record"] as const) {
      if (!DNS_NAME.test(cutover[key])) {
        out.push(
          error(
            "unsafe-name",
            `${key} ${JSON.stringify(cutover[key])} is not a DNS name`,
            context.workloadPath(i, "cutover", key),
          ),
        );
      }
    }
  });
  return out;
};

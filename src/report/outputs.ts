/**
 * Reading step outputs for the report. Steps journal free-form `outputs`; these readers accept
 * the names the steps use (and their obvious synonyms) so a renamed field degrades to "—"
 * instead of breaking the sign-off document.
 */
export function numberField(
  outputs: Record<string, unknown> | undefined,
  ...names: string[]
): number | undefined {
  for (const name of names) {
    const value = outputs?.[name];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return undefined;
}

export function stringField(
  outputs: Record<string, unknown> | undefined,
  ...names: string[]
): string | undefined {
  for (const name of names) {
    const value = outputs?.[name];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/** Verification results: `checks: [{ name|check|kind, ok|passed, detail|message }]`. */
export function checkResults(outputs: Record<string, unknown> | undefined): CheckResult[] {
  const list = outputs?.checks ?? outputs?.results;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item): CheckResult[] => {
    if (!item || typeof item !== "object") return [];
    const record = item as Record<string, unknown>;
    const name = stringField(record, "name", "check", "kind", "description") ?? "check";
    const ok = record.ok ?? record.passed;
    const detail = stringField(record, "detail", "message", "observed");
    return [{ name, ok: ok === true, ...(detail ? { detail } : {}) }];
  });
}

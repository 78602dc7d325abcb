/** Pure parsers for running services: systemd unit list, or process names where systemd is absent. */

/** `nginx.service loaded active running A high performance web server` → unit names. */
export function parseSystemdUnits(text: string): string[] {
  const units = text
    .split("\n")
    .map(
      (line) =>
        line
          .trim()
          .replace(/^[●*]\s*/, "")
          .split(/\s+/)[0] ?? "",
    )
    .filter((unit) => unit.endsWith(".service"));
  return [...new Set(units)].sort();
}

/** `ps -eo comm=` → distinct process names (kernel threads included; they are harmless). */
export function parseProcessNames(text: string): string[] {
  const names = text
    .split("\n")
    .map((line) => line.trim())
    .filter((name) => name !== "");
  return [...new Set(names)].sort();
}

/**
 * Is the plan's service running? Units compare with and without the `.service` suffix; process
 * names (the ps fallback) are truncated by the kernel to 15 characters.
 */
export function serviceRunning(
  declared: string,
  running: readonly string[],
  fromProcesses: boolean,
): boolean {
  const unit = declared.includes(".") ? declared : `${declared}.service`;
  if (!fromProcesses) return running.includes(unit);
  const base = unit.replace(/\.service$/, "").slice(0, 15);
  return running.includes(base);
}

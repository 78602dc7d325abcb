/**
 * Pure parser for crontab files. User crontabs (/var/spool/cron/...) have five schedule fields
 * and a command; system ones (/etc/crontab, /etc/cron.d) add a user column.
 */
export interface CronEntry {
  file: string;
  user: string;
  schedule: string;
  command: string;
}

const SPECIAL = /^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$/;

export function parseCrontab(file: string, text: string): CronEntry[] {
  const system = file === "/etc/crontab" || file.startsWith("/etc/cron.d/");
  const owner = file.slice(file.lastIndexOf("/") + 1);
  const entries: CronEntry[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    // Comments and environment assignments (MAILTO=..., PATH=...) are not jobs.
    if (line === "" || line.startsWith("#") || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) continue;
    const fields = line.split(/\s+/);
    const scheduleLength = SPECIAL.test(fields[0] ?? "") ? 1 : 5;
    if (fields.length < scheduleLength + (system ? 2 : 1)) continue;
    const schedule = fields.slice(0, scheduleLength).join(" ");
    const user = system ? fields[scheduleLength]! : owner;
    const rest = fields.slice(scheduleLength + (system ? 1 : 0)).join(" ");
    entries.push({ file, user, schedule, command: rest });
  }
  return entries;
}

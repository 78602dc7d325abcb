/** Pure parsers for the system sections: /etc/os-release, uname, nproc, /proc/meminfo. */
export interface OsFacts {
  id?: string;
  name?: string;
  version?: string;
  prettyName?: string;
}

export interface UnameFacts {
  kernel?: string;
  kernelRelease?: string;
  arch?: string;
  hostname?: string;
}

export interface MemoryFacts {
  totalBytes?: number;
  availableBytes?: number;
}

/** os-release is shell-style KEY=value with optional quotes. */
export function parseOsRelease(text: string): OsFacts {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
    values[match[1]!] = value;
  }
  const facts: OsFacts = {};
  if (values.ID) facts.id = values.ID;
  if (values.NAME) facts.name = values.NAME;
  if (values.VERSION_ID) facts.version = values.VERSION_ID;
  if (values.PRETTY_NAME) facts.prettyName = values.PRETTY_NAME;
  return facts;
}

/** Four lines: `uname -s`, `-r`, `-m`, `-n`. */
export function parseUname(text: string): UnameFacts {
  const [kernel, kernelRelease, arch, hostname] = text.split("\n").map((line) => line.trim());
  const facts: UnameFacts = {};
  if (kernel) facts.kernel = kernel;
  if (kernelRelease) facts.kernelRelease = kernelRelease;
  if (arch) facts.arch = arch;
  if (hostname) facts.hostname = hostname;
  return facts;
}

export function parseNproc(text: string): number | undefined {
  const value = Number.parseInt(text.trim(), 10);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `MemTotal:  24684096 kB` lines; meminfo's kB are KiB. */
export function parseMeminfo(text: string): MemoryFacts {
  const facts: MemoryFacts = {};
  for (const line of text.split("\n")) {
    const match = /^(MemTotal|MemAvailable):\s+(\d+)\s*kB/.exec(line.trim());
    if (!match) continue;
    const bytes = Number(match[2]) * 1024;
    if (match[1] === "MemTotal") facts.totalBytes = bytes;
    else facts.availableBytes = bytes;
  }
  return facts;
}

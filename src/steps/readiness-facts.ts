/**
 * Read-only facts readiness needs from a workload's hosts (engine/planning/readiness.ts): sizes
 * of the plan paths on the source and on the target, the target file system's free space, who
 * listens on the ports the target's services need, and the database servers' versions. Nothing
 * here changes a host; every path and name reaches the shell quoted, and the constant scripts travel as one quoted
 * argument of `sh -c` with the paths as its positional parameters.
 */
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { serverVersion } from "./db/server-version.ts";
import type { CutoverInput } from "./inputs.ts";
import { QUICK_MS } from "./support.ts";

/** Per path: bytes it holds here (0 when absent). */
const SIZES = `for p in "$@"; do b=$(du -sb -- "$p" 2>/dev/null | cut -f1); echo "\${b:-0}"; done`;
/** Per path: bytes here, free bytes and mount point of the file system that holds (or will hold) it. */
const SPACE =
  `for p in "$@"; do d=$p; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done; ` +
  `b=0; [ -e "$p" ] && b=$(du -sb -- "$p" 2>/dev/null | cut -f1); ` +
  `df -Pk -- "$d" | awk -v b="\${b:-0}" 'NR==2 {printf "%s\\t%.0f\\t%s\\n", b, $4*1024, $6}'; done`;

/** One plan path: its size on the source, what the target already holds there, and free space. */
export interface PathSpace {
  path: string;
  sourceBytes: number;
  targetBytes: number;
  /** Mount point of the file system that will hold the path on the target. */
  mount: string;
  freeBytes: number;
}

export interface WorkloadFacts {
  space?: PathSpace[];
  /** Ports the target's services need that something already listens on, with the process names. */
  portsInUse?: { port: number; processes: string[] }[];
  databases?: { engine: string; name: string; source?: [number, number]; target?: [number, number] }[];
}

export interface ProbeInput {
  cutover: CutoverInput;
  /** Ports the target's services will listen on (the proxy upstream port). */
  ports: number[];
  probeSpace: boolean;
}

async function space(source: Remote, target: Remote, input: CutoverInput, signal: AbortSignal) {
  if (input.paths.length === 0) return [];
  const timeoutMs = 10 * QUICK_MS;
  const sizes = await source.check(sh`sh -c ${SIZES} sh ${input.paths}`, { signal, timeoutMs });
  const there = await target.check(sh`sh -c ${SPACE} sh ${input.paths}`, { signal, timeoutMs });
  const sourceBytes = sizes.stdout.trim().split("\n").map(Number);
  return there.stdout
    .trim()
    .split("\n")
    .map((line, index) => {
      const [bytes, free, mount] = line.split("\t");
      return {
        path: input.paths[index] as string,
        sourceBytes: sourceBytes[index] ?? 0,
        targetBytes: Number(bytes) || 0,
        freeBytes: Number(free) || 0,
        mount: mount ?? "?",
      };
    });
}

/** Listeners on `ports` at the target's address (or every address) not owned by its services. */
async function foreignListeners(target: Remote, input: CutoverInput, ports: number[], signal: AbortSignal) {
  if (ports.length === 0) return [];
  const listening = await target.run(sh`ss -Hltnp`, { signal, timeoutMs: QUICK_MS });
  if (listening.exitCode !== 0) return [];
  const mainPids = new Set<string>();
  for (const service of input.services) {
    const status = await target.run(sh`systemctl status ${service}`, { signal, timeoutMs: QUICK_MS });
    const pid = /Main PID: (\d+)/.exec(status.stdout)?.[1];
    if (pid) mainPids.add(pid);
  }
  const stems = input.services.map((s) => s.replace(/\.service$/, "").replace(/@.*$/, ""));
  const local = new Set([input.target.address, "0.0.0.0", "*", "[::]", "::"]);
  const found = new Map<number, Set<string>>();
  for (const line of listening.stdout.split("\n")) {
    const columns = line.trim().split(/\s+/);
    const address = columns[3] ?? "";
    const cut = address.lastIndexOf(":");
    const port = Number(address.slice(cut + 1));
    if (!ports.includes(port) || !local.has(address.slice(0, cut))) continue;
    const users = [...line.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((m) => ({ name: m[1]!, pid: m[2]! }));
    // Without process details (no privilege to see them) nothing can be said: no finding.
    if (users.length === 0) continue;
    const ours = users.some(
      (u) => mainPids.has(u.pid) || stems.some((stem) => stem.startsWith(u.name) || u.name.startsWith(stem)),
    );
    if (ours) continue;
    const names = found.get(port) ?? new Set<string>();
    for (const u of users) names.add(u.name);
    found.set(port, names);
  }
  return [...found].map(([port, names]) => ({ port, processes: [...names] }));
}

export async function probeReadiness(
  remote: (host: string) => Promise<Remote>,
  input: ProbeInput,
  signal: AbortSignal,
): Promise<WorkloadFacts> {
  const { cutover } = input;
  const source = await remote(cutover.source.name);
  const target = await remote(cutover.target.name);
  const facts: WorkloadFacts = {
    portsInUse: await foreignListeners(target, cutover, input.ports, signal),
    databases: [],
  };
  if (input.probeSpace) facts.space = await space(source, target, cutover, signal);
  for (const db of cutover.databases) {
    const from = await serverVersion(source, db, signal);
    const to = await serverVersion(target, db, signal);
    facts.databases?.push({
      engine: db.engine,
      name: db.name,
      ...(from ? { source: from } : {}),
      ...(to ? { target: to } : {}),
    });
  }
  return facts;
}

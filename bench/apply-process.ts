/**
 * A whole `bin/migrate apply` process as an operator runs it, measured from outside: its wall
 * time, its CPU time, its peak RSS as the kernel counts it (ru_maxrss of the child, read by python's
 * getrusage) and when the sampled RSS was highest, so the step running then can be named.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface MeasuredApply {
  code: number;
  seconds: number;
  peakMiB: number;
  /** When the sampled RSS (every 0.2 s) was highest, in ms since the epoch. */
  peakAt: number;
  /** CPU seconds the process used (user + system): its own work, whatever else loads the machine. */
  cpuSeconds: number;
  stderr: string;
}

const WATCH =
  "import resource, subprocess, sys, time\n" +
  "t = time.time(); child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], 'w'))\n" +
  "top, at = 0, t\n" +
  "while child.poll() is None:\n" +
  "  try:\n" +
  "    rss = int([l for l in open(f'/proc/{child.pid}/status') if l.startswith('VmRSS')][0].split()[1])\n" +
  "    if rss > top: top, at = rss, time.time()\n" +
  "  except Exception: pass\n" +
  "  time.sleep(0.2)\n" +
  "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n" +
  "print(child.returncode, time.time() - t, u.ru_maxrss, at, u.ru_utime + u.ru_stime)";

/**
 * `migrate apply <plan> --yes --state-dir <stateDir>` with `env` added; `runner` goes before the
 * binary (e.g. `node --cpu-prof …`).
 */
export function measuredApply(
  binary: string,
  plan: string,
  stateDir: string,
  env: Record<string, string> = {},
  runner: string[] = [],
): MeasuredApply {
  // The child's stderr goes to a file: a pipe nobody reads would stop a long apply.
  const dir = mkdtempSync(join(tmpdir(), "bench-apply-stderr-"));
  const errors = join(dir, "stderr");
  const run = spawnSync(
    "python3",
    ["-c", WATCH, errors, ...runner, binary, "apply", plan, "--yes", "--state-dir", stateDir],
    { encoding: "utf8", env: { ...process.env, ...env } },
  );
  const [code, seconds, kib, at, cpu] = run.stdout.trim().split(" ").map(Number);
  const stderr = readFileSync(errors, "utf8");
  rmSync(dir, { recursive: true, force: true });
  return {
    code: code ?? -1,
    seconds: seconds ?? 0,
    peakMiB: (kib ?? 0) / 1024,
    peakAt: (at ?? 0) * 1000,
    cpuSeconds: cpu ?? 0,
    stderr,
  };
}

/** Seconds each step of `plan` took, from the journal's start and finish records. */
export function stepSeconds(stateDir: string, plan: string): Record<string, number> {
  const text = readFileSync(join(stateDir, plan, "journal.jsonl"), "utf8");
  const started = new Map<string, number>();
  const result: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const record = JSON.parse(line) as { type: string; key?: string; at: string };
    if (record.type === "step-start" && record.key) started.set(record.key, Date.parse(record.at));
    if (record.type === "step-finish" && record.key && started.has(record.key))
      result[record.key.split("/")[1]!] = (Date.parse(record.at) - started.get(record.key)!) / 1000;
  }
  return result;
}

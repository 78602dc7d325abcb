/**
 * Inventory of the whole fleet: `migrate inventory .fleet/plan.yaml --json` against Ansible's
 * `ansible all -m setup` on the same hosts, same run, same machine. Both reach sources through
 * the bastion with the fleet key and verified host keys. Each repetition is a cold start for
 * both: Ansible gets a fresh ControlPath directory, so no SSH master from an earlier repetition
 * is reused (migrate keeps nothing between runs either). Target: ratio <= 0.25.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Fleet, fleetUp } from "../fixtures/fleet/index.ts";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Ansible inventory naming the same hosts; the fleet's ssh_config supplies address, key, jump and known_hosts. */
function ansibleInventory(fleet: Fleet): string {
  const lines = ["[fleet]", ...fleet.hosts.map((host) => host.name), "", "[fleet:vars]"];
  lines.push("ansible_user=root", "ansible_python_interpreter=/usr/bin/python3");
  lines.push(`ansible_ssh_common_args='-F ${fleet.client.sshConfig}'`);
  return `${lines.join("\n")}\n`;
}

/** Wall time of a command, or undefined when it failed (a host of the shared fleet was busy). */
async function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  completed: readonly number[] = [0],
): Promise<number | undefined> {
  const started = performance.now();
  try {
    await exec(command, args, { cwd: root, env, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    if (typeof e.code === "number" && completed.includes(e.code)) return performance.now() - started;
    console.log(
      `  (discarded: ${command} exited ${e.code}: ${(e.stderr ?? "").trim().split("\n").slice(-1)[0] ?? ""})`,
    );
    return undefined;
  }
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const fleet = await fleetUp();
  const work = await mkdtemp(join(tmpdir(), "migrate-bench-inventory-"));
  try {
    const inventory = join(work, "hosts.ini");
    await writeFile(inventory, ansibleInventory(fleet));
    const hosts = fleet.hosts.length;
    const migrateTimes: number[] = [];
    const ansibleTimes: number[] = [];
    // One untimed round warms the page cache and tsx's transform cache for both sides. Other
    // people's tests share the fleet, so a round where either side failed is run again.
    let warm = false;
    for (let attempt = 0; migrateTimes.length < REPETITIONS && attempt < REPETITIONS * 3; attempt += 1) {
      const controlDir = await mkdtemp(join(work, "cp-"));
      const ansibleEnv = {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: "True",
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_LOCAL_TEMP: join(work, "ansible-local"),
        ANSIBLE_NOCOLOR: "1",
      };
      const ansible = await timed(
        "ansible",
        ["all", "-i", inventory, "-m", "setup", "-f", String(hosts * 2)],
        ansibleEnv,
      );
      // Exit 1 is a completed inventory that found drift (others' tests move the fleet's systems).
      const migrate = await timed(
        "./bin/migrate",
        ["inventory", fleet.planFile, "--json"],
        process.env,
        [0, 1],
      );
      if (ansible === undefined || migrate === undefined) continue;
      if (!warm) {
        warm = true;
        continue;
      }
      ansibleTimes.push(ansible);
      migrateTimes.push(migrate);
    }
    if (migrateTimes.length === 0) throw new Error("no repetition completed on both sides; is the fleet up?");
    const migrateMedian = median(migrateTimes);
    const ansibleMedian = median(ansibleTimes);
    const ratio = migrateMedian / ansibleMedian;
    const ms = (values: number[]) => values.map((v) => Math.round(v)).join(", ");
    console.log(
      `hosts: ${hosts} (sources through the bastion), repetitions: ${REPETITIONS} after one warm-up`,
    );
    console.log(`migrate inventory --json: median ${Math.round(migrateMedian)} ms  [${ms(migrateTimes)}]`);
    console.log(`ansible all -m setup:     median ${Math.round(ansibleMedian)} ms  [${ms(ansibleTimes)}]`);
    console.log(
      `ratio migrate/ansible: ${ratio.toFixed(3)}x (target <= 0.25x) ${ratio <= 0.25 ? "PASS" : "FAIL"}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

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

async function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  try {
    await exec(command, args, { cwd: root, env, maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
  } catch (error) {
    const e = error as { code?: number; stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(" ")} failed (${e.code}): ${(e.stderr || e.stdout || "").slice(-2000)}`);
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
    // One untimed round each warms the page cache and tsx's transform cache for both sides.
    for (let i = 0; i <= REPETITIONS; i += 1) {
      const controlDir = await mkdtemp(join(work, "cp-"));
      const ansibleEnv = {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: "True",
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_LOCAL_TEMP: join(work, "ansible-local"),
        ANSIBLE_NOCOLOR: "1",
      };
      const ansible = await timed("ansible", ["all", "-i", inventory, "-m", "setup", "-f", String(hosts * 2)], ansibleEnv);
      const migrate = await timed("./bin/migrate", ["inventory", fleet.planFile, "--json"], process.env);
      if (i === 0) continue;
      ansibleTimes.push(ansible);
      migrateTimes.push(migrate);
    }
    const migrateMedian = median(migrateTimes);
    const ansibleMedian = median(ansibleTimes);
    const ratio = migrateMedian / ansibleMedian;
    const ms = (values: number[]) => values.map((v) => Math.round(v)).join(", ");
    console.log(`hosts: ${hosts} (sources through the bastion), repetitions: ${REPETITIONS} after one warm-up`);
    console.log(`migrate inventory --json: median ${Math.round(migrateMedian)} ms  [${ms(migrateTimes)}]`);
    console.log(`ansible all -m setup:     median ${Math.round(ansibleMedian)} ms  [${ms(ansibleTimes)}]`);
    console.log(`ratio migrate/ansible: ${ratio.toFixed(3)}x (target <= 0.25x) ${ratio <= 0.25 ? "PASS" : "FAIL"}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

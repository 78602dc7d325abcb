/**
 * The SSH layer on the real fleet: exec and streaming, the bastion, host key refusals, agent
 * and key-file auth, deadlines and cancellation that really stop the remote command.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Fleet, hostExec, readFleet } from "../../fixtures/fleet/index.ts";
import { InterruptedError, MigrateError, RemoteError } from "../../src/errors.ts";
import { loadPlanOrThrow } from "../../src/plan/load.ts";
import type { Host } from "../../src/plan/schema.ts";
import { planHosts, SshPool, type SshPoolOptions } from "../../src/remote/pool.ts";
import { sh } from "../../src/remote/shell.ts";

const run = promisify(execFile);
const skipReason = inject("e2eSkipReason");

async function failureOf(promise: Promise<unknown>): Promise<MigrateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MigrateError) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe.skipIf(skipReason !== "")("SSH layer on the fleet", () => {
  let fleet: Fleet;
  let hosts: Host[];
  let work: string;
  const pools: SshPool[] = [];
  const host = (name: string) => hosts.find((h) => h.name === name)!;
  const pool = (options: Partial<SshPoolOptions> = {}) => {
    const created = new SshPool({ hosts, knownHostsFile: join(work, "known_hosts"), ...options });
    pools.push(created);
    return created;
  };

  beforeAll(async () => {
    fleet = readFleet();
    hosts = planHosts((await loadPlanOrThrow(fleet.planFile)).plan);
    work = await mkdtemp(join(tmpdir(), "migrate-e2e-ssh-"));
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await rm(work, { recursive: true, force: true });
  });

  it("runs commands with quoted values and the same result shape on failure", async () => {
    const remote = pool().remote("tgt-1");
    const ok = await remote.run(sh`printf '%s|' ${"it's $(id)"} ${"a b"}; uname -n`);
    expect(ok).toMatchObject({ host: "tgt-1", exitCode: 0, stdout: "it's $(id)|a b|tgt-1\n", stderr: "" });
    const failed = await remote.run(sh`echo out; echo problem >&2; exit 7`);
    expect(failed).toMatchObject({ exitCode: 7, stdout: "out\n", stderr: "problem\n", timedOut: false });
    const error = await failureOf(remote.check(sh`ls ${"/no such dir"}`));
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).failure).toMatchObject({ host: "tgt-1", exitCode: 2 });
    expect((error as RemoteError).failure.stderrTail).toContain("No such file");
  });

  it("streams stdin and stdout without buffering, byte for byte", async () => {
    const remote = pool().remote("tgt-2");
    const data = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 1) data[i] = (i * 7919) % 251;
    const handle = await remote.stream(sh`cat`);
    const chunks: Buffer[] = [];
    handle.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    handle.stdin.end(data);
    const result = await handle.done;
    expect(result.exitCode).toBe(0);
    expect(result.bytesOut).toBe(data.length);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const sum = await remote.run(sh`sha256sum`, { stdin: data });
    expect(sum.stdout.split(" ")[0]).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("reaches sources through the bastion over one shared bastion connection", async () => {
    const bastion = host("bastion");
    // TCP connections this test process holds to the bastion's sshd.
    const toBastion = async () => {
      const { stdout } = await run("ss", [
        "-tnpH",
        "state",
        "established",
        "dst",
        `${bastion.address}:${bastion.port}`,
      ]);
      return stdout.split("\n").filter((line) => line.includes(`pid=${process.pid},`)).length;
    };
    const before = await toBastion();
    const p = pool();
    const names = ["portal-src", "tax-src", "lic-src"];
    const results = await Promise.all(
      names.map((name) => p.remote(name).check(sh`uname -n; echo $SSH_CONNECTION`)),
    );
    results.forEach((result, i) => {
      const [name, connection] = result.stdout.trim().split("\n");
      expect(name).toBe(names[i]);
      // sshd on the source sees the bastion's forwarded connection arriving at the source's address.
      expect(connection?.split(" ")[2]).toBe(host(names[i]!).address);
    });
    expect((await toBastion()) - before).toBe(1);
    await p.close();
  });

  it("bounds channels per connection and still runs many commands at once", async () => {
    const remote = pool({ maxChannelsPerConnection: 4 }).remote("tgt-3");
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => remote.run(sh`echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
  });

  it("kills a command at its deadline and on abort, children included", async () => {
    const remote = pool().remote("tgt-1");
    const timed = await remote.run(sh`sleep 31.25 & sleep 31.5; echo never`, { timeoutMs: 800 });
    expect(timed).toMatchObject({ timedOut: true, exitCode: null, stdout: "" });
    expect(timed.durationMs).toBeLessThan(10_000);
    const controller = new AbortController();
    const canceled = remote.run(sh`sleep 32.75`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    expect(await canceled).toMatchObject({ canceled: true, exitCode: null });
    await expect(remote.check(sh`sleep 32.5`, { signal: AbortSignal.timeout(200) })).rejects.toBeInstanceOf(
      InterruptedError,
    );
    const left = await hostExec("tgt-1", "ps -eo args= | grep -E '^sleep 3(1|2)\\.' || true");
    expect(left.stdout).toBe("");
  });

  it("refuses a host whose key differs from the pinned fingerprint", async () => {
    const wrong = hosts.map((h) => (h.name === "tgt-1" ? { ...h, hostKey: host("tgt-2").hostKey } : h));
    const error = await failureOf(pool({ hosts: wrong }).remote("tgt-1").run(sh`true`));
    expect(error.kind).toBe("host-key");
    expect(error.message).toContain(`REMOTE HOST KEY CHANGED for tgt-1 (${host("tgt-1").address}:22)`);
    expect(error.message).toContain(`expected ${host("tgt-2").hostKey}, got ${host("tgt-1").hostKey}`);
    expect(error.hint).toMatch(/never accept blindly/);
  });

  it("refuses an unknown key, and records it only when asked to", async () => {
    const unpinned = hosts.map(({ hostKey: _drop, ...h }) => h);
    const knownHostsFile = join(work, "fresh_known_hosts");
    const refused = await failureOf(pool({ hosts: unpinned, knownHostsFile }).remote("tgt-2").run(sh`true`));
    expect(refused.kind).toBe("host-key");
    expect(refused.message).toContain(`unknown host key for tgt-2`);
    expect(refused.hint).toContain("--accept-new-host-keys");
    const recorded: string[] = [];
    const accepting = pool({
      hosts: unpinned,
      knownHostsFile,
      acceptNewHostKeys: true,
      onHostKeyRecorded: (name, fingerprint) => recorded.push(`${name} ${fingerprint}`),
    });
    expect((await accepting.remote("tgt-2").check(sh`uname -n`)).stdout).toBe("tgt-2\n");
    expect(recorded).toEqual([`tgt-2 ${host("tgt-2").hostKey}`]);
    const { stdout: listed } = await run("ssh-keygen", [
      "-l",
      "-F",
      host("tgt-2").address,
      "-f",
      knownHostsFile,
    ]);
    expect(listed).toContain(host("tgt-2").hostKey!);
    // Recorded once, then trusted without the flag; a changed key is refused even with it.
    expect((await pool({ hosts: unpinned, knownHostsFile }).remote("tgt-2").check(sh`true`)).exitCode).toBe(
      0,
    );
    const text = await readFile(knownHostsFile, "utf8");
    await writeFile(knownHostsFile, text.replace(host("tgt-2").address, host("tgt-3").address));
    const changed = await failureOf(
      pool({ hosts: unpinned, knownHostsFile, acceptNewHostKeys: true }).remote("tgt-3").run(sh`true`),
    );
    expect(changed.message).toContain("REMOTE HOST KEY CHANGED for tgt-3");
  });

  it("authenticates with ssh-agent", async () => {
    const socket = join(work, "agent.sock");
    const { stdout } = await run("ssh-agent", ["-a", socket, "-s"]);
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)?.[1]);
    try {
      await run("ssh-add", [fleet.client.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const agentHosts = hosts.map((h) => ({ ...h, auth: { agent: true as const } }));
      const p = pool({ hosts: agentHosts, env: { SSH_AUTH_SOCK: socket } });
      expect((await p.remote("tgt-1").check(sh`uname -n`)).stdout).toBe("tgt-1\n");
      expect((await p.remote("lic-src").check(sh`uname -n`)).stdout).toBe("lic-src\n");
      const noAgent = await failureOf(pool({ hosts: agentHosts, env: {} }).remote("tgt-1").run(sh`true`));
      expect(noAgent.kind).toBe("auth");
      expect(noAgent.message).toContain("SSH_AUTH_SOCK is not set");
    } finally {
      process.kill(agentPid);
    }
  });

  it("authenticates with an encrypted key file whose passphrase comes from the environment", async () => {
    const env = fleet.client.passphraseEnv;
    const keyHosts = hosts.map((h) => ({
      ...h,
      auth: { keyFile: fleet.client.passphraseKeyFile, passphraseEnv: env },
    }));
    const ok = pool({ hosts: keyHosts, env: { [env]: fleet.client.passphrase } });
    expect((await ok.remote("tgt-3").check(sh`uname -n`)).stdout).toBe("tgt-3\n");
    const missing = await failureOf(pool({ hosts: keyHosts, env: {} }).remote("tgt-3").run(sh`true`));
    expect(missing.kind).toBe("auth");
    expect(missing.message).toContain(`environment variable ${env}`);
    expect(missing.message).not.toContain(fleet.client.passphrase);
  });

  it("reports an unreachable host as retryable, without waiting for the others", async () => {
    const ghost: Host = { ...host("tgt-1"), name: "ghost", address: "127.0.14.9" };
    const p = pool({ hosts: [...hosts, ghost] });
    const [down, up] = await Promise.allSettled([
      p.remote("ghost").run(sh`true`),
      p.remote("tgt-1").run(sh`true`),
    ]);
    expect(down.status).toBe("rejected");
    const error = (down as PromiseRejectedResult).reason as RemoteError;
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ kind: "unreachable", retryable: true });
    expect(error.message).toContain("ECONNREFUSED");
    expect(up).toMatchObject({ status: "fulfilled", value: { exitCode: 0 } });
  });

  it("reports each command to the audit hook without stdin content", async () => {
    const audits: unknown[] = [];
    const remote = pool({ onCommand: (audit) => audits.push(audit) }).remote("tgt-2");
    await remote.run(sh`cat >/dev/null; echo done`, { stdin: "secret-token-123" });
    expect(audits).toEqual([
      expect.objectContaining({
        host: "tgt-2",
        command: "cat >/dev/null; echo done",
        exitCode: 0,
        bytesOut: 16,
        bytesIn: 5,
      }),
    ]);
    expect(JSON.stringify(audits)).not.toContain("secret-token-123");
  });
});

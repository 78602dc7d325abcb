/**
 * SshRemote against a real ssh2 server in this process (loopback): `done` of a streamed command
 * always settles, and a run's stdout and stderr keep characters split across packets. The server
 * runs no shell; it sends stdout the client never reads, then drops or stalls the connection.
 */
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client, Server, type ServerChannel, utils } from "ssh2";
import { afterEach, describe, expect, it } from "vitest";
import { RemoteError } from "../../../src/errors.ts";
import { checkResult } from "../../../src/remote/check-result.ts";
import { Semaphore } from "../../../src/remote/semaphore.ts";
import { sh } from "../../../src/remote/shell.ts";
import { SshRemote } from "../../../src/remote/ssh-remote.ts";

const hostKey = utils.generateKeyPairSync("ed25519").private;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server whose exec channels get `onExec`; resolves with a connected client. */
async function serve(onExec: (stream: ServerChannel, drop: () => void) => void): Promise<Client> {
  const server = new Server({ hostKeys: [hostKey] }, (conn) => {
    conn.on("error", () => {});
    conn.on("authentication", (ctx) => ctx.accept());
    conn.on("ready", () => {
      conn.on("session", (accept) => {
        accept().on("exec", (acceptExec) => onExec(acceptExec(), () => conn.end()));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const client = new Client();
  client.on("error", () => {});
  cleanups.push(() => {
    client.end();
    server.close();
  });
  await new Promise<void>((resolve, reject) => {
    client.once("ready", resolve).once("error", reject);
    client.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, username: "t" });
  });
  return client;
}

function remoteOver(client: Client): SshRemote {
  return new SshRemote("tgt-1", { connection: async () => client, semaphore: new Semaphore(4) });
}

describe("SshRemote stream: done settles", () => {
  it("as connection lost (retryable unreachable) when the connection drops while stdout is unread", async () => {
    const client = await serve((stream, drop) => {
      stream.stderr.write("migrate-pid:4242\n");
      stream.write(Buffer.alloc(4 * 1024 * 1024));
      setTimeout(drop, 200);
    });
    const handle = await remoteOver(client).stream(sh`cat`);
    const stdoutClosed = new Promise((resolve) => handle.stdout.once("close", resolve));
    const result = await handle.done;
    expect(result).toMatchObject({ exitCode: null, signal: null, timedOut: false, canceled: false });
    expect(() => checkResult(result)).toThrow(RemoteError);
    try {
      checkResult(result);
    } catch (error) {
      expect(error).toMatchObject({ kind: "unreachable", retryable: true });
    }
    // A consumer still waiting on stdout sees it close early, not left hanging.
    await stdoutClosed;
    expect(handle.stdout.readableEnded).toBe(false);
  });

  it("when the consumer tears its pipeline down: the channel is drained so close arrives", async () => {
    const client = await serve((stream) => {
      stream.stderr.write("migrate-pid:4242\n");
      stream.write(Buffer.alloc(4 * 1024 * 1024));
      setTimeout(() => {
        stream.exit(0);
        stream.end();
      }, 200);
    });
    const handle = await remoteOver(client).stream(sh`cat`);
    handle.stdout.destroy();
    const result = await handle.done;
    expect(result.exitCode).toBe(0);
  });

  it("on abort, even if the peer never ends the command", async () => {
    const client = await serve((stream) => {
      stream.stderr.write("migrate-pid:4242\n");
      stream.write(Buffer.alloc(4 * 1024 * 1024));
    });
    const controller = new AbortController();
    const handle = await remoteOver(client).stream(sh`cat`, { signal: controller.signal });
    const started = performance.now();
    controller.abort();
    const result = await handle.done;
    expect(result).toMatchObject({ canceled: true, exitCode: null, signal: "KILL" });
    expect(performance.now() - started).toBeLessThan(12_000);
  }, 15_000);

  it("on a deadline even when the kill is never answered, and a consumer piping stdout is released", async () => {
    const client = await serve((stream) => {
      stream.stderr.write("migrate-pid:4242\n");
      stream.write(Buffer.alloc(4 * 1024 * 1024));
    });
    const handle = await remoteOver(client).stream(sh`cat`, { timeoutMs: 300 });
    // A consumer that never reads: only closing stdout early can end its pipeline.
    const stuck = new Writable({ highWaterMark: 1, write: () => {} });
    const piped = pipeline(handle.stdout, stuck);
    await expect(piped).rejects.toThrow(/premature close/i);
    // This server answers the kill channel with output and no exit, so only the ref'd timer settles.
    const result = await handle.done;
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: "KILL" });
    expect(result.stderr).toMatch(/did not close after the command was killed/);
  }, 15_000);
});

describe("SshRemote run: output", () => {
  it("keeps a character whose bytes arrive in two packets (a non-ASCII file name in a digest list)", async () => {
    const line = Buffer.from("f8cd2e3d *规划计划-004.html\n");
    const client = await serve((stream) => {
      stream.stderr.write("migrate-pid:4242\n");
      // The first packet ends inside 规 (three bytes in UTF-8).
      stream.write(line.subarray(0, 11));
      setTimeout(() => {
        stream.write(line.subarray(11));
        stream.exit(0);
        stream.end();
      }, 50);
    });
    const result = await remoteOver(client).run(sh`openssl dgst -r`, { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(line.toString("utf8"));
  });

  it("keeps a character split between two packets of stderr (an unreadable file's name)", async () => {
    const line = Buffer.from("unreadable: 1\n/srv/规划/计划.html\n");
    const client = await serve((stream) => {
      stream.stderr.write("migrate-pid:4242\n");
      const cut = line.indexOf("规") + 1;
      stream.stderr.write(line.subarray(0, cut));
      setTimeout(() => {
        stream.stderr.write(line.subarray(cut));
        stream.exit(4);
        stream.end();
      }, 50);
    });
    const result = await remoteOver(client).run(sh`find`, { timeoutMs: 10_000 });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(line.toString("utf8"));
  });
});

/**
 * Runs many `migrate` invocations in one Node process through the CLI's own `main()` (what
 * bin/migrate calls), capturing each one's stdout, stderr and exit code. Start-up (tsx
 * transforming the sources) is paid once instead of per invocation, which keeps hundreds of
 * bad-input cases inside the e2e time budget. Every outgoing TCP connection the invocation
 * attempts is recorded (net.Socket#connect is wrapped), so a test can prove an input reached no
 * host at all. Usage: `tsx cli-batch.ts` with a JSON array of argv arrays on stdin; prints a
 * JSON array of results on stdout.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import { main } from "../../../src/cli/main.ts";

export interface BatchResult {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** host:port of every TCP connection attempted while the invocation ran. */
  connections: string[];
}

let connections: string[] = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const [first, second] = args as [unknown, unknown];
  const target =
    typeof first === "object" && first !== null
      ? `${(first as { host?: string }).host ?? "localhost"}:${(first as { port?: number }).port}`
      : `${typeof second === "string" ? second : "localhost"}:${String(first)}`;
  connections.push(target);
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const cases = JSON.parse(readFileSync(0, "utf8")) as string[][];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
const results: BatchResult[] = [];
for (const args of cases) {
  let stdout = "";
  let stderr = "";
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  connections = [];
  let code: number;
  try {
    code = await main(["node", "migrate", ...args]);
  } catch (error) {
    // main() must never throw; record it as the crash it would be.
    stderr += `UNCAUGHT ${(error as Error).stack}`;
    code = -1;
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push({ args, code, stdout, stderr, connections });
}
process.exitCode = 0;
realOut(`${JSON.stringify(results)}\n`);

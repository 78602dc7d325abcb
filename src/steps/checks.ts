/**
 * The plan's verify checks, one function each. A failed check returns a sentence naming it; a
 * check that cannot run (host unreachable) throws, like any other remote fault.
 */
import { connect } from "node:net";
import { sh } from "../remote/shell.ts";
import { countRows } from "./db/engines.ts";
import type { CheckInput, HostRef, VerifyInput } from "./inputs.ts";
import { QUICK_MS } from "./support.ts";
import type { StepContext } from "./types.ts";

export type CheckOutcome =
  | { name: string; ok: true; detail?: string }
  | { name: string; ok: false; reason: string };

async function httpCheck(
  context: StepContext,
  check: Extract<CheckInput, { kind: "http" }>,
): Promise<CheckOutcome> {
  const name = `http ${check.url}`;
  const url = check.requestUrl;
  let status: number;
  let body: string;
  if (check.from) {
    const remote = await context.remote(check.from);
    const result = await remote.run(sh`curl -sS -m 10 -o - -w '\n%{http_code}' ${url}`, {
      signal: context.signal,
      timeoutMs: QUICK_MS,
    });
    if (result.exitCode !== 0)
      return { name, ok: false, reason: `${name} from ${check.from}: ${result.stderr.trim()}` };
    const cut = result.stdout.lastIndexOf("\n");
    body = result.stdout.slice(0, cut);
    status = Number(result.stdout.slice(cut + 1));
  } else {
    try {
      const response = await fetch(url, {
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(10_000)]),
      });
      status = response.status;
      body = await response.text();
    } catch (error) {
      return { name, ok: false, reason: `${name}: ${(error as Error).message}` };
    }
  }
  if (status !== check.status)
    return { name, ok: false, reason: `${name} answered ${status}, expected ${check.status}` };
  if (check.contains !== undefined && !body.includes(check.contains)) {
    return {
      name,
      ok: false,
      reason: `${name} answered ${status} without ${JSON.stringify(check.contains)}`,
    };
  }
  return { name, ok: true, detail: `${status}` };
}

async function tcpCheck(check: { host: HostRef; port: number }): Promise<CheckOutcome> {
  const name = `tcp ${check.host.name}:${check.port}`;
  const address = check.host.address;
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: check.port, timeout: 5_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ name, ok: true });
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve({ name, ok: false, reason: `${name}: no answer within 5s` });
    });
    socket.once("error", (error) => resolve({ name, ok: false, reason: `${name}: ${error.message}` }));
  });
}

async function rowCountCheck(
  input: VerifyInput,
  context: StepContext,
  check: Extract<CheckInput, { kind: "rowCount" }>,
): Promise<CheckOutcome> {
  const name = `rowCount ${check.database}`;
  const db = check.db;
  if (!db) return { name, ok: false, reason: `${name}: the workload has no database ${check.database}` };
  const [source, target] = await Promise.all([
    context.remote(input.source.name).then((remote) => countRows(remote, db, context.signal)),
    context.remote(input.target.name).then((remote) => countRows(remote, db, context.signal)),
  ]);
  const lookup = (counts: Record<string, number>, table: string) =>
    counts[table] ?? counts[`public.${table}`];
  const wrong = check.tables
    .map((table) => ({ table, source: lookup(source, table), target: lookup(target, table) }))
    .filter((row) => row.source === undefined || row.source !== row.target);
  if (wrong.length > 0) {
    const text = wrong.map(
      (row) => `${row.table} source ${row.source ?? "missing"} target ${row.target ?? "missing"}`,
    );
    return { name, ok: false, reason: `${name}: ${text.join("; ")}` };
  }
  return {
    name,
    ok: true,
    detail: check.tables.map((table) => `${table}=${lookup(target, table)}`).join(" "),
  };
}

async function commandCheck(
  context: StepContext,
  check: { host: string; run: string },
): Promise<CheckOutcome> {
  const name = `command on ${check.host}: ${check.run}`;
  const remote = await context.remote(check.host);
  const result = await remote.run(sh`sh -c ${check.run}`, {
    signal: context.signal,
    timeoutMs: 5 * QUICK_MS,
  });
  if (result.exitCode === 0) return { name, ok: true };
  return {
    name,
    ok: false,
    reason: `${name} exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().slice(-300)}`,
  };
}

export function runCheck(input: VerifyInput, context: StepContext, check: CheckInput): Promise<CheckOutcome> {
  switch (check.kind) {
    case "http":
      return httpCheck(context, check);
    case "tcp":
      return tcpCheck(check);
    case "rowCount":
      return rowCountCheck(input, context, check);
    case "command":
      return commandCheck(context, check);
  }
}

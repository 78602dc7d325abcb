/**
 * `migrate seed export|import <plan> --only W --to|--from DIR`: seed bundles for disk-carried
 * data (docs/seed.md). Parse, take the state lock (never beside an apply), check host keys,
 * then hand over to the engine. Exit codes: 0 done (damaged chunks were re-sent and are
 * listed), 1 a remote step failed, 4 a host unreachable or refused, 5 locked, 64 a usage error
 * (unknown workload, non-empty export directory, a bundle of another workload), 130 interrupted.
 */
import { resolve } from "node:path";
import { resolveStateRoot } from "../../engine/journal/state-dir.ts";
import { runPreflight } from "../../engine/running/preflight.ts";
import {
  parseChunkSize,
  runSeedExport,
  runSeedImport,
  type SeedContext,
  seedWorkload,
} from "../../engine/running/seed.ts";
import { UserError } from "../../errors.ts";
import { ExitCode } from "../../exit-codes.ts";
import { formatDiagnostic } from "../../plan/diagnostics.ts";
import { loadPlanOrThrow } from "../../plan/load.ts";
import { planHosts } from "../../remote/pool.ts";
import { withCommandSession } from "../command-session.ts";

export interface SeedOptions {
  only?: string;
  to?: string;
  from?: string;
  chunkSize?: string;
  output?: "plain" | "json";
  stateDir?: string;
  acceptNewHostKeys?: boolean;
}

export async function run(op: string, file: string, options: SeedOptions = {}): Promise<number> {
  if (op !== "export" && op !== "import") {
    throw new UserError("usage", `seed ${op}: unknown action`, {
      hint: "use `migrate seed export <plan> --only W --to DIR` or `migrate seed import <plan> --only W --from DIR`",
    });
  }
  const dirOption = op === "export" ? options.to : options.from;
  if (!dirOption) {
    const flag = op === "export" ? "--to" : "--from";
    throw new UserError("usage", `seed ${op} needs the bundle directory (${flag} DIR)`, {
      hint: `migrate seed ${op} ${file} --only W ${flag} /mnt/ferry-disk/W`,
    });
  }
  const loaded = await loadPlanOrThrow(file);
  const { plan } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  const workload = seedWorkload(plan, options.only, op);
  const chunkBytes = options.chunkSize === undefined ? undefined : parseChunkSize(options.chunkSize);
  const dir = resolve(dirOption);
  const root = resolveStateRoot(file, plan.defaults.stateDir, options.stateDir);
  return withCommandSession(
    { root, name: plan.metadata.name, holder: `migrate seed ${op} ${file}`, journal: false },
    async (session) => {
      const run = await session.start({ plan, acceptNewHostKeys: options.acceptNewHostKeys ?? false });
      try {
        const hosts = op === "export" ? [workload.source] : [workload.source, workload.target];
        const via = new Map(planHosts(plan).map((host) => [host.name, host.via]));
        // Trust before change, as apply: a refused key or failed login on either host stops here.
        await runPreflight(
          { workloads: [], hosts },
          { pool: run.pool, signal: run.signal, viaOf: (h) => via.get(h) },
        );
        const context: SeedContext = {
          plan,
          workload,
          root,
          remote: async (host) => run.pool.remote(host),
          signal: run.signal,
          throttle: run.throttle(plan.defaults.bandwidth),
          say: (line) => process.stderr.write(`${line}\n`),
          // NDJSON on stdout, the same records seed.jsonl holds: carried and re-sent bytes per chunk.
          ...(options.output === "json"
            ? { onRecord: (record) => process.stdout.write(`${JSON.stringify(record)}\n`) }
            : {}),
        };
        // Awaited here, so an interrupted export or import ends in the catch below.
        return await (op === "export"
          ? exported(context, dir, chunkBytes, file)
          : imported(context, dir, file));
      } catch (error) {
        if (run.signal.aborted) return ExitCode.interrupted;
        throw error;
      }
    },
  );
}

async function exported(
  context: SeedContext,
  dir: string,
  chunkBytes: number | undefined,
  file: string,
): Promise<number> {
  const { workload } = context;
  const index = await runSeedExport(context, dir, chunkBytes);
  const bytes = index.chunks.reduce((sum, chunk) => sum + chunk.bytes, 0);
  const dumps = index.dumps ?? [];
  const dumped =
    dumps.length > 0
      ? ` and ${dumps.length} database dump(s), ${(dumps.reduce((sum, dump) => sum + dump.bytes, 0) / 1024 / 1024).toFixed(1)} MiB`
      : "";
  process.stderr.write(
    `Exported ${workload.name}: ${index.chunks.length} chunk(s), ${(bytes / 1024 / 1024).toFixed(1)} MiB${dumped}, ${index.hash} digests, into ${dir}. Next, at the target side: migrate seed import ${file} --only ${workload.name} --from DIR\n`,
  );
  return ExitCode.ok;
}

async function imported(context: SeedContext, dir: string, file: string): Promise<number> {
  const { workload } = context;
  const summary = await runSeedImport(context, dir);
  const damaged =
    summary.damaged.length > 0
      ? ` ${summary.damaged.length} damaged chunk(s) were not used and came over the link instead: ${summary.damaged.join(", ")}.`
      : "";
  process.stderr.write(
    `Imported ${workload.name}: ${(summary.carried / 1024 / 1024).toFixed(1)} MiB carried by seed and verified on ${workload.target}, ${(summary.resent / 1024 / 1024).toFixed(1)} MiB sent over the link.${damaged} Next: migrate apply ${file} --only ${workload.name} (what is in place is not sent again)\n`,
  );
  return ExitCode.ok;
}

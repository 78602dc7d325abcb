/**
 * The facts `migrate inventory` collects that validation and planning use. The inventory helper
 * writes JSON conforming to this; everything here is optional because a host may be unreachable.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { WorkloadPortability } from "./portability-facts.ts";
import { DatabasePreflightFact } from "./replication-facts.ts";

export interface PathFacts {
  bytes: number;
  files: number;
}

export interface HostFacts {
  /** `uname -m`, e.g. x86_64, aarch64, loongarch64. */
  arch?: string;
  /** Size of each plan path on this host. */
  paths?: Record<string, PathFacts>;
  /** Free bytes of the file system holding each plan path. */
  freeBytes?: Record<string, number>;
}

export interface InventoryFacts {
  hosts: Record<string, HostFacts>;
  /** The portability scan per workload (inventories written before it have none). */
  workloads?: Record<string, WorkloadPortability>;
  /** The replication preflight of each database that would replicate (older inventories: none). */
  replication?: DatabasePreflightFact[];
}

const InventoryFactsSchema = z.looseObject({
  hosts: z.record(
    z.string(),
    z.looseObject({
      arch: z.string().optional(),
      paths: z.record(z.string(), z.object({ bytes: z.number(), files: z.number() })).optional(),
      freeBytes: z.record(z.string(), z.number()).optional(),
    }),
  ),
  workloads: z.record(z.string(), WorkloadPortability).optional(),
  replication: z.array(DatabasePreflightFact).optional(),
});

/** `uname -m` spellings → the plan's architecture names. */
const ARCH_ALIASES: Record<string, string> = {
  amd64: "x86_64",
  x64: "x86_64",
  arm64: "aarch64",
  loong64: "loongarch64",
};

/** The plan's name for a `uname -m` architecture (arm64 → aarch64, amd64 → x86_64). */
export function normalizeArch(arch: string): string {
  return ARCH_ALIASES[arch] ?? arch;
}

/** Read an inventory JSON file (from `migrate inventory --out`); extra fields are kept. */
export async function readInventoryFacts(file: string): Promise<InventoryFacts> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UserError("usage", `cannot read inventory ${file}: ${(error as Error).message}`, {
      hint: "run `migrate inventory <plan> --out inventory.json` first",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError("usage", `inventory ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = InventoryFactsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      "usage",
      `inventory ${file} is malformed at ${issue?.path.join(".") || "the top level"}: ${issue?.message}`,
    );
  }
  return parsed.data as InventoryFacts;
}

/** Small shared pieces of the steps: where artefacts live, deadlines, host lookups. */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BugError, UserError } from "../errors.ts";
import { findHost } from "../plan/hosts.ts";
import type { Host, Workload } from "../plan/schema.ts";
import { fromJsonl, type HashAlgorithm, type Manifest, manifestDigest, toJsonl } from "./manifest/model.ts";
import type { StepContext } from "./types.ts";

/**
 * Deadlines for small remote operations. Hashing, dumps, restores and transfers have deadlines
 * that follow their size (remote/deadline.ts).
 */
export const QUICK_MS = 30_000;
export const SERVICE_MS = 120_000;

/** Per-workload scratch directory on a host (database dumps, rewrite and upstream backups). */
export function hostWorkDir(workload: Workload): string {
  return `/var/tmp/migrate/${workload.name}`;
}

export function planHost(context: StepContext, name: string): Host {
  const found = findHost(context.plan, name);
  if (!found) throw new UserError("invalid-plan", `host ${name} is not in the plan`);
  return found.host;
}

export function hashOf(workload: Workload): HashAlgorithm {
  return workload.hash;
}

/** Write a manifest as JSONL in the workload's work directory; returns its file and digest. */
export async function saveManifest(
  context: StepContext,
  label: string,
  manifest: Manifest,
): Promise<{ file: string; digest: string }> {
  await mkdir(context.workDir, { recursive: true });
  const file = join(context.workDir, `manifest-${label}.jsonl`);
  await writeFile(`${file}.tmp`, toJsonl(manifest));
  await rename(`${file}.tmp`, file);
  return { file, digest: manifestDigest(manifest) };
}

/** Load a manifest an earlier step saved, refusing one that no longer matches its journaled digest. */
export async function loadManifest(file: string, digest: string): Promise<Manifest> {
  const manifest = fromJsonl(await readFile(file, "utf8"));
  if (manifestDigest(manifest) !== digest) {
    throw new UserError("journal", `manifest ${file} does not match its journaled digest ${digest}`, {
      hint: "the state directory was changed by hand; run the workload again from a fresh state directory",
    });
  }
  return manifest;
}

/** The manifest the latest finished step recorded: the cutover's final one, else the snapshot's. */
export async function latestManifest(
  context: StepContext,
  steps: ("cutover" | "snapshot")[],
): Promise<Manifest> {
  for (const step of steps) {
    const outputs = context.outputsOf(step);
    if (typeof outputs?.manifestFile === "string" && typeof outputs.manifestDigest === "string") {
      return loadManifest(outputs.manifestFile, outputs.manifestDigest);
    }
  }
  throw new BugError(`no manifest recorded by ${steps.join(" or ")} for ${context.workload.name}`);
}

/** A JSON file in the work directory, for state an undo needs even when its step never finished. */
export async function writeState(context: StepContext, name: string, data: unknown): Promise<void> {
  await mkdir(context.workDir, { recursive: true });
  const file = join(context.workDir, name);
  await writeFile(`${file}.tmp`, JSON.stringify(data, null, 2));
  await rename(`${file}.tmp`, file);
}

export async function readState<T>(context: StepContext, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(context.workDir, name), "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

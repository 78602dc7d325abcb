/**
 * Where a workload's scratch files live on its hosts, said once: the planner puts these paths
 * into the step inputs (and so into `migrate plan`), and the steps use the paths they are given.
 */

/**
 * Per-workload scratch directories (database dumps, rewrite and upstream backups) sit under
 * /var/lib, not the world-writable /var/tmp: another local user must not be able to create one
 * first and swap a dump that root later restores.
 */
export const STAGING_ROOT = "/var/lib/migrate";

export function stagingDir(workload: string): string {
  return `${STAGING_ROOT}/${workload}`;
}

/** The snapshot's dump (source, then copied to the target) and the cutover's final one (target). */
export function dumpFiles(
  staging: string,
  db: { engine: string; name: string },
): { dumpFile: string; finalDumpFile: string } {
  const base = `${staging}/${db.engine}-${db.name}`;
  return { dumpFile: `${base}.dump`, finalDumpFile: `${base}.final.dump` };
}

/**
 * How much a tree holds, measured before it is hashed: its total bytes and its largest file set
 * the hashing deadline and stall window (remote/deadline.ts). Metadata only, so it costs a walk
 * of the directories, not a read of the data.
 */

import { BASE_MS, STALL_MS } from "../remote/deadline.ts";
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";

const SIZE_SCRIPT = `
find "$@" -xdev -type f -printf '%s\\n' 2>/dev/null | awk '{ t += $1; if ($1 > m) m = $1 } END { printf "%.0f %.0f\\n", t, m }'
`;

export async function treeSize(
  remote: Remote,
  paths: readonly string[],
  signal: AbortSignal,
): Promise<{ bytes: number; largest: number }> {
  if (paths.length === 0) return { bytes: 0, largest: 0 };
  const result = await remote.check(sh`sh -c ${SIZE_SCRIPT} tree-size ${paths}`, {
    signal,
    timeoutMs: BASE_MS,
    idleTimeoutMs: STALL_MS * 5,
  });
  const [bytes, largest] = result.stdout.trim().split(" ").map(Number);
  return { bytes: bytes || 0, largest: largest || 0 };
}

/**
 * Binlog coordinates ("mysql-bin.000012:4711") and the byte distance between two of them, which
 * is what the replica still has to apply: the rest of the older file, every file in between and
 * the start of the newer one (SHOW BINARY LOGS gives the sizes).
 */
export interface BinlogPosition {
  file: string;
  pos: number;
}

export function formatPosition(position: BinlogPosition): string {
  return `${position.file}:${position.pos}`;
}

export function parsePosition(text: string): BinlogPosition {
  const match = /^(.+):(\d+)$/.exec(text.trim());
  if (!match) throw new TypeError(`not a binlog position (file:pos): ${text}`);
  return { file: match[1] as string, pos: Number(match[2]) };
}

/** Binlog files are numbered by their extension, which grows by one per rotation. */
function sequence(file: string): number {
  return Number(/\.(\d+)$/.exec(file)?.[1] ?? 0);
}

/** Negative, zero or positive like a comparator: `a` before, at or after `b`. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  return sequence(a.file) - sequence(b.file) || a.pos - b.pos;
}

/** Bytes of binlog from `from` to `to`; 0 when `from` is at or past `to`. */
export function bytesBetween(
  from: BinlogPosition,
  to: BinlogPosition,
  logs: readonly { name: string; size: number }[],
): number {
  if (comparePositions(from, to) >= 0) return 0;
  if (from.file === to.file) return to.pos - from.pos;
  const size = (name: string) => logs.find((log) => log.name === name)?.size ?? 0;
  const between = logs
    .filter((log) => sequence(log.name) > sequence(from.file) && sequence(log.name) < sequence(to.file))
    .reduce((sum, log) => sum + log.size, 0);
  return Math.max(0, size(from.file) - from.pos) + between + to.pos;
}

/** "did you mean ...": the closest known names by optimal-string-alignment (Damerau) distance. */

/** Edits (insert, delete, substitute, swap neighbours) between two strings. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** Up to `limit` known names close enough to be a plausible typo of `name`, closest first. */
export function closestNames(name: string, known: Iterable<string>, limit = 3): string[] {
  const threshold = Math.max(2, Math.floor(name.length / 3));
  const scored: { candidate: string; distance: number }[] = [];
  for (const candidate of new Set(known)) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    const contains = candidate.includes(name) || name.includes(candidate);
    if (distance <= threshold || (contains && Math.min(name.length, candidate.length) >= 3)) {
      scored.push({ candidate, distance });
    }
  }
  scored.sort((x, y) => x.distance - y.distance || (x.candidate < y.candidate ? -1 : 1));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** `; did you mean "a" or "b"?` or "" when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const names = closestNames(name, known);
  if (names.length === 0) return "";
  const quoted = names.map((n) => `"${n}"`);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  return `; did you mean ${list}?`;
}

/**
 * The hint for a name given on the command line (`--only`, a workload, `--bureau`) that is not one
 * of `known`: the close ones, else every known one under `plural`.
 */
export function unknownNameHint(name: string, known: readonly string[], plural: string): string {
  const close = closestNames(name, known);
  return close.length > 0 ? `did you mean ${close.join(", ")}?` : `${plural}: ${known.join(", ")}`;
}

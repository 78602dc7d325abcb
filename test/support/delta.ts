/** The streaming delta functions over small unsorted arrays, sorted first as on disk. */
import { type ManifestEntry, sortEntries } from "../../src/manifest/model.ts";
import { carryHashes, type ExactTarget, planDelta } from "../../src/transfer/delta.ts";

export async function carry(before: ManifestEntry[], listing: ManifestEntry[]) {
  const needHash: string[] = [];
  const entries: ManifestEntry[] = [];
  for await (const entry of carryHashes(sortEntries(before), sortEntries(listing), needHash))
    entries.push(entry);
  return { entries, needHash };
}

export const delta = (
  final: ManifestEntry[],
  snapshot: ManifestEntry[],
  target: ManifestEntry[],
  rewritten: ReadonlySet<string>,
  exact?: ExactTarget,
) => planDelta(sortEntries(final), sortEntries(snapshot), sortEntries(target), rewritten, exact);

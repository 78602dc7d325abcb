/**
 * A runner's work directory mirrored to the shared state. On taking a lease the runner fetches
 * the artefacts it lacks (or holds in another version) before any step runs; while it runs, every
 * journal record is written only after the artefacts changed since the last record are stored,
 * so whatever a record names (a manifest's digest, an in-place list, evidence behind a verified
 * batch) is in the database before the record is. A file that only grew since it was stored (the
 * evidence, appended batch by batch) sends only its new bytes.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { mkdir, open, readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Pool } from "pg";
import { UserError } from "../../errors.ts";
import { isSharedArtifact } from "../../steps/support.ts";
import type { Journal } from "../journal/journal.ts";
import { type ArtifactWriter, readArtifacts, uploadArtifact } from "./artifacts.ts";

interface Known {
  ino: number;
  size: number;
  mtimeMs: number;
  /** sha256 over the file's `size` bytes, kept open so an append hashes only what it adds. */
  hash: Hash;
}

/** What a mirror moved, for the runner's log and the bench. */
export interface MirrorFigures {
  fetched: string[];
  bytesDown: number;
  uploads: number;
  bytesUp: number;
}

const same = (known: Known | undefined, now: Stats) =>
  known !== undefined && known.ino === now.ino && known.size === now.size && known.mtimeMs === now.mtimeMs;

async function statOf(file: string): Promise<Stats | undefined> {
  try {
    const found = await stat(file);
    return found.isFile() ? found : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function hashFile(file: string): Promise<Hash> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash;
}

export class ArtifactMirror {
  readonly figures: MirrorFigures = { fetched: [], bytesDown: 0, uploads: 0, bytesUp: 0 };
  readonly #pool: Pool;
  readonly #key: { plan: string; workload: string };
  readonly #writer: ArtifactWriter;
  readonly #dir: string;
  readonly #known = new Map<string, Known>();
  #syncing: Promise<void> = Promise.resolve();

  constructor(pool: Pool, key: { plan: string; workload: string }, writer: ArtifactWriter, dir: string) {
    this.#pool = pool;
    this.#key = { plan: key.plan, workload: key.workload };
    this.#writer = writer;
    this.#dir = dir;
  }

  /** Fetch every stored artefact this directory lacks or holds in another version. */
  async materialise(): Promise<MirrorFigures> {
    await mkdir(this.#dir, { recursive: true });
    const { plan, workload } = this.#key;
    await readArtifacts(this.#pool, plan, workload, async (stored, chunks) => {
      for (const artifact of stored) {
        const file = join(this.#dir, artifact.name);
        const here = await statOf(file);
        if (here?.size === artifact.bytes) {
          const hash = await hashFile(file);
          if (hash.copy().digest("hex") === artifact.digest) {
            this.#remember(artifact.name, here, hash);
            continue;
          }
        }
        const hash = createHash("sha256");
        const handle = await open(`${file}.tmp`, "w");
        try {
          for await (const chunk of chunks(artifact.name)) {
            hash.update(chunk);
            await handle.write(chunk);
            this.figures.bytesDown += chunk.length;
          }
          await handle.sync();
        } finally {
          await handle.close();
        }
        if (hash.copy().digest("hex") !== artifact.digest) {
          throw new UserError(
            "journal",
            `the shared state's ${artifact.name} of ${workload} does not match its digest ${artifact.digest}`,
            { hint: "the artifacts table was changed by hand; run the workload again from a fresh state" },
          );
        }
        await rename(`${file}.tmp`, file);
        this.figures.fetched.push(artifact.name);
        this.#remember(artifact.name, await stat(file), hash);
      }
    });
    return this.figures;
  }

  /** Store what changed since the last sync (one at a time: records are written in order). */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.catch(() => undefined).then(() => this.#sync());
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter(isSharedArtifact).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const name of names) {
      const file = join(this.#dir, name);
      const now = await statOf(file);
      const known = this.#known.get(name);
      if (!now || same(known, now)) continue;
      const key = { ...this.#key, name };
      if (known && known.ino === now.ino && now.size > known.size) {
        const hash = known.hash.copy();
        const sent = await uploadArtifact(this.#pool, this.#writer, key, {
          file,
          from: known.size,
          to: now.size,
          hash,
        });
        if (sent.appended) {
          this.#count(now.size - known.size);
          this.#remember(name, now, hash);
          continue;
        }
      }
      const hash = createHash("sha256");
      const sent = await uploadArtifact(this.#pool, this.#writer, key, { file, from: 0, to: now.size, hash });
      this.#count(sent.bytes);
      this.#remember(name, now, hash);
    }
  }

  #count(bytes: number): void {
    this.figures.uploads++;
    this.figures.bytesUp += bytes;
  }

  #remember(name: string, now: Stats, hash: Hash): void {
    this.#known.set(name, { ino: now.ino, size: now.size, mtimeMs: now.mtimeMs, hash });
  }
}

/** The journal, each record written only once the artefacts it may name are stored. */
export function mirroredJournal(journal: Journal, mirror: ArtifactMirror): Journal {
  return {
    get records() {
      return journal.records;
    },
    async append(record) {
      await mirror.sync();
      await journal.append(record);
    },
    close: () => journal.close(),
  };
}

/**
 * Trees of many small files for the scale e2e test and bench: written once on this machine
 * under /var/tmp (the lower layer every fleet host's /var overlay shows) by one python process,
 * then copied inside the host — seconds, where a process per file in the host takes minutes.
 * File `f <i>.txt` (a space in every name) of 200 bytes lies in directory `d<i % dirs>`.
 */
import { spawnSync } from "node:child_process";

/** The local seed directory holding `tree/` for `files` files in `dirs` directories. */
export function seedScaleTree(files: number, dirs: number): string {
  const seed = `/var/tmp/migrate-scale-seed-${files}-${dirs}`;
  const script = `import os, sys
seed, files, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not os.path.exists(seed + "/.complete"):
    for i in range(files):
        d = f"{seed}/tree/d{i % dirs}"
        os.makedirs(d, exist_ok=True)
        open(f"{d}/f {i}.txt", "w").write(f"file {i}\\n".ljust(10, " ") * 20)
    open(seed + "/.complete", "w").close()`;
  if (
    spawnSync("python3", ["-c", script, seed, String(files), String(dirs)], { stdio: "inherit" }).status !== 0
  )
    throw new Error(`seeding ${files} files failed`);
  return `${seed}/tree`;
}

/** Shell: append to 1 % of the files (every 100th) of a seeded tree in the current directory. */
export function changeOnePercent(files: number, dirs: number): string {
  return `for i in $(seq 0 100 ${files - 1}); do echo changed >> "d$((i % ${dirs}))/f $i.txt"; done`;
}

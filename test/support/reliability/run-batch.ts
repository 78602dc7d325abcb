/** Drives cli-batch.ts as a child process with a deadline. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import type { BatchResult } from "./cli-batch.ts";
import { REPO } from "./migrate-process.ts";

export type { BatchResult };

export function runBatch(cases: string[][], env: Record<string, string> = {}): Promise<BatchResult[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(REPO, "node_modules/.bin/tsx"),
      [join(import.meta.dirname, "cli-batch.ts")],
      {
        cwd: REPO,
        env: { ...process.env, NO_COLOR: "1", CI: "true", ...env },
        maxBuffer: 256 * 1024 * 1024,
        timeout: 240_000,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`cli-batch failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as BatchResult[]);
      },
    );
    child.stdin?.end(JSON.stringify(cases));
  });
}

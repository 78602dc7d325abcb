/** Headless Chromium (the Debian package) for tests that check what a browser makes of our HTML. */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const CHROMIUM = "/usr/bin/chromium";

/** Load a file in headless Chromium with every network feature off; return the DOM it built. */
export async function chromiumDom(file: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "migrate-chromium-"));
  const { stdout } = await exec(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--dump-dom",
      `file://${file}`,
    ],
    { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

/**
 * Secrets are never inline: only agent, key-file and environment-variable references. Keys that
 * look like inline secrets get their own message (instead of "unknown key"), and values that are
 * private keys are refused wherever they appear.
 */
import type { Finding, PlanPath } from "../diagnostics.ts";

import { error } from "./context.ts";

const SECRET_KEY =
  /^(password|passwd|pass|passphrase|secret|token|apikey|api_key|privatekey|private_key|key)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export const SECRET_MESSAGE = (key: string): string =>
  `"${key}": secrets must not be inline; use passphraseEnv/passwordEnv (the name of an environment variable) or auth: { agent: true }`;

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A private key pasted where a value belongs (refused wherever it appears, see below). */
export function isPrivateKey(value: string): boolean {
  return value.includes("-----BEGIN") && PRIVATE_KEY.test(value);
}

/** Walks every value; `path` is one shared stack, copied only when something is found. */
function scan(value: unknown, path: PlanPath, out: Finding[]): void {
  if (typeof value === "string") {
    if (isPrivateKey(value)) {
      out.push(
        error(
          "inline-secret",
          "a private key is written inline; secrets must not be inline: use auth: { keyFile: <path> } with passphraseEnv",
          [...path],
        ),
      );
    }
    return;
  }
  if (value === null || typeof value !== "object") return;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    path.push(key);
    scan(item, path, out);
    path.pop();
  }
}

/** Runs on the raw document so it also covers entries with schema errors. */
export function inlineKeyMaterial(raw: unknown): Finding[] {
  const out: Finding[] = [];
  scan(raw, [], out);
  return out;
}

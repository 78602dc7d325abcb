/**
 * Credentials for a plan host: the ssh-agent socket or a key file whose passphrase comes only
 * from the environment variable the plan names. Secrets never appear in messages.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.ts";
import type { Auth } from "../plan/schema.ts";
import { ssh2 } from "./ssh2-module.ts";

export type SshCredentials = { agent: string } | { privateKey: Buffer; passphrase?: string };

export function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

export async function credentialsFor(
  host: string,
  auth: Auth,
  env: NodeJS.ProcessEnv,
): Promise<SshCredentials> {
  if ("agent" in auth) {
    const socket = env.SSH_AUTH_SOCK;
    if (!socket) {
      throw new UserError("auth", `${host} uses ssh-agent auth but SSH_AUTH_SOCK is not set`, {
        hint: "start an agent (eval $(ssh-agent); ssh-add KEY) or give the host auth: { keyFile: ... }",
      });
    }
    return { agent: socket };
  }
  const file = expandHome(auth.keyFile);
  let privateKey: Buffer;
  try {
    privateKey = await readFile(file);
  } catch (error) {
    throw new UserError("auth", `cannot read key file ${file} for ${host}: ${(error as Error).message}`, {
      hint: "check the keyFile path in the plan and its permissions",
    });
  }
  const passphrase = auth.passphraseEnv === undefined ? undefined : env[auth.passphraseEnv];
  // Parse up front so a missing or wrong passphrase is a clear message, not a handshake failure.
  const parsed = ssh2.utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    const needs = /encrypted|passphrase|decrypt/i.test(parsed.message);
    const source = auth.passphraseEnv
      ? `environment variable ${auth.passphraseEnv}`
      : "no passphraseEnv in the plan";
    throw new UserError(
      "auth",
      needs
        ? `key file ${file} for ${host} is encrypted and could not be decrypted (${source})`
        : `key file ${file} for ${host} is not a usable private key: ${parsed.message}`,
      {
        hint: needs
          ? "set passphraseEnv in the plan and export that variable with the key's passphrase"
          : "give an OpenSSH, PEM or PPK private key",
      },
    );
  }
  return passphrase === undefined ? { privateKey } : { privateKey, passphrase };
}

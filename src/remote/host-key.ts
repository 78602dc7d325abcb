/**
 * Host key verification: the plan's pinned SHA256 fingerprint first, else known_hosts. Unknown
 * keys are refused unless the operator accepts new keys (which records them); a changed key is
 * always refused. The verdict is computed here; ssh-connection.ts turns it into the handshake's
 * yes/no and raises the error this module builds.
 */
import { createHash } from "node:crypto";
import { UserError } from "../errors.ts";
import { appendKnownHost, checkKnownHost, knownHostName, readKnownHosts } from "./known-hosts.ts";

/** `SHA256:` + unpadded base64 of the SHA-256 of the raw key blob (what `ssh-keygen -l` prints). */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The key type is the first SSH string inside the blob (uint32 length + name). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString("ascii");
}

export interface HostKeyPolicy {
  /** Plan host name, for messages. */
  host: string;
  address: string;
  port: number;
  pinned?: string;
  knownHostsFile: string;
  acceptNew: boolean;
}

export type HostKeyDecision = { ok: true; recorded?: boolean } | { ok: false; error: UserError };

function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replace(/=+$/, "");
}

function changed(policy: HostKeyPolicy, expected: string, got: string): UserError {
  return new UserError(
    "host-key",
    `REMOTE HOST KEY CHANGED for ${policy.host} (${policy.address}:${policy.port}): expected ${expected}, got ${got}`,
    {
      hint: "check with the bureau's administrator whether the server was reinstalled or its keys rotated, and compare the fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on its console); never accept blindly",
    },
  );
}

export async function decideHostKey(policy: HostKeyPolicy, key: Buffer): Promise<HostKeyDecision> {
  const got = fingerprintOf(key);
  if (policy.pinned !== undefined) {
    const expected = normalizeFingerprint(policy.pinned);
    return expected === got ? { ok: true } : { ok: false, error: changed(policy, expected, got) };
  }
  const name = knownHostName(policy.address, policy.port);
  const keyType = keyTypeOf(key);
  const blob = key.toString("base64");
  const verdict = checkKnownHost(await readKnownHosts(policy.knownHostsFile), name, blob);
  switch (verdict.status) {
    case "match":
      return { ok: true };
    case "revoked":
      return {
        ok: false,
        error: new UserError(
          "host-key",
          `host key of ${policy.host} (${name}) is marked @revoked in ${policy.knownHostsFile}:${verdict.entry.line}`,
          { hint: "the bureau revoked this key; ask its administrator for the current one" },
        ),
      };
    case "changed": {
      const expected = verdict.entries
        .map((entry) => fingerprintOf(Buffer.from(entry.key, "base64")))
        .join(" or ");
      const lines = verdict.entries.map((entry) => entry.line).join(",");
      const error = changed(policy, `${expected} (${policy.knownHostsFile}:${lines})`, got);
      return { ok: false, error };
    }
    case "unknown":
      if (!policy.acceptNew) {
        return {
          ok: false,
          error: new UserError(
            "host-key",
            `unknown host key for ${policy.host} (${name}): ${got} is neither pinned in the plan nor in ${policy.knownHostsFile}`,
            {
              hint: `verify ${got} out of band with the bureau's administrator, then pin it as hostKey in the plan or rerun with --accept-new-host-keys (which records it in ${policy.knownHostsFile})`,
            },
          ),
        };
      }
      await appendKnownHost(policy.knownHostsFile, name, keyType, blob);
      return { ok: true, recorded: true };
  }
}

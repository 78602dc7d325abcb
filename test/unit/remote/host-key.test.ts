import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.ts";
import { decideHostKey, fingerprintOf, keyTypeOf } from "../../../src/remote/host-key.ts";

// Public key blob of an ed25519 key and its fingerprint as printed by `ssh-keygen -lf`.
const BLOB = "AAAAC3NzaC1lZDI1NTE5AAAAIBDEFAuecRj1TEr9TUpptdgZbtk5Xv1lGARifAzuwbsi";
const FINGERPRINT = "SHA256:gdAL6khD7vXGs0m9eluTfl+t7ZljCLFkg6D2C3ye2gE";
const OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIODwzlfhBv3TIoqsDjx1g0srsHfUE+yiyv4/qZHqek7H";
const key = Buffer.from(BLOB, "base64");

async function policy(knownHosts = "", extra: { pinned?: string; acceptNew?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "migrate-hostkey-"));
  const file = join(dir, "known_hosts");
  if (knownHosts) await writeFile(file, knownHosts);
  return {
    host: "fin-app-01",
    address: "127.0.99.1",
    port: 2222,
    knownHostsFile: file,
    acceptNew: false,
    ...extra,
  };
}

describe("host key decisions", () => {
  it("computes the OpenSSH fingerprint and key type of a raw key", () => {
    expect(fingerprintOf(key)).toBe(FINGERPRINT);
    expect(keyTypeOf(key)).toBe("ssh-ed25519");
  });

  it("accepts the pinned fingerprint, with or without base64 padding", async () => {
    expect(await decideHostKey(await policy("", { pinned: FINGERPRINT }), key)).toEqual({ ok: true });
    expect(await decideHostKey(await policy("", { pinned: `${FINGERPRINT}=` }), key)).toEqual({ ok: true });
  });

  it("refuses a key that differs from the pinned one and says what to check", async () => {
    const pinned = fingerprintOf(Buffer.from(OTHER, "base64"));
    const decision = await decideHostKey(await policy("", { pinned }), key);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.error).toBeInstanceOf(UserError);
    expect(decision.error.kind).toBe("host-key");
    expect(decision.error.message).toContain(`REMOTE HOST KEY CHANGED for fin-app-01 (127.0.99.1:2222)`);
    expect(decision.error.message).toContain(`expected ${pinned}, got ${FINGERPRINT}`);
    expect(decision.error.hint).toMatch(/reinstalled.*never accept blindly/);
  });

  it("refuses a changed key even when accepting new keys", async () => {
    const p = await policy(`[127.0.99.1]:2222 ssh-ed25519 ${OTHER}\n`, { acceptNew: true });
    const decision = await decideHostKey(p, key);
    expect(decision.ok).toBe(false);
    expect(await readFile(p.knownHostsFile, "utf8")).not.toContain(BLOB);
  });

  it("accepts a key recorded in known_hosts", async () => {
    expect(await decideHostKey(await policy(`[127.0.99.1]:2222 ssh-ed25519 ${BLOB}\n`), key)).toEqual({
      ok: true,
    });
  });

  it("refuses an unknown key with a hint naming the accept flag", async () => {
    const decision = await decideHostKey(await policy(), key);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.error.message).toContain("unknown host key for fin-app-01");
    expect(decision.error.hint).toContain("--accept-new-host-keys");
    expect(decision.error.hint).toContain(FINGERPRINT);
  });

  it("records an unknown key when new keys are accepted, then matches it", async () => {
    const p = await policy("# existing without newline", { acceptNew: true });
    expect(await decideHostKey(p, key)).toEqual({ ok: true, recorded: true });
    const text = await readFile(p.knownHostsFile, "utf8");
    expect(text).toBe(`# existing without newline\n[127.0.99.1]:2222 ssh-ed25519 ${BLOB}\n`);
    expect(await decideHostKey({ ...p, acceptNew: false }, key)).toEqual({ ok: true });
  });
});

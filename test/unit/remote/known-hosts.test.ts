import { describe, expect, it } from "vitest";
import {
  checkKnownHost,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
  patternsMatch,
} from "../../../src/remote/known-hosts.ts";

// Captured from `ssh-keygen -H` (OpenSSH 9.2) over "[127.0.99.1]:2222 ..." and "example.org ...".
const HOST_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIBDEFAuecRj1TEr9TUpptdgZbtk5Xv1lGARifAzuwbsi";
const OTHER_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIODwzlfhBv3TIoqsDjx1g0srsHfUE+yiyv4/qZHqek7H";
const HASHED = `|1|R4VxipstVVm2FqAc6+3YjjDUZ4M=|b5tun+ZqKOYprztHdbJdQSU9frA= ssh-ed25519 ${HOST_KEY}
|1|ZyHcIcRdsmi0bdFnlH9JHSN5Wzw=|5fP/EAZPo16xZhS2QBBKGixzm8c= ssh-ed25519 ${OTHER_KEY}
`;

describe("known_hosts", () => {
  it("names non-standard ports the OpenSSH way", () => {
    expect(knownHostName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(knownHostName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
  });

  it("matches hashed entries written by ssh-keygen -H", () => {
    const entries = parseKnownHosts(HASHED);
    expect(checkKnownHost(entries, "[127.0.99.1]:2222", HOST_KEY).status).toBe("match");
    expect(checkKnownHost(entries, "example.org", OTHER_KEY).status).toBe("match");
    expect(checkKnownHost(entries, "127.0.99.1", HOST_KEY).status).toBe("unknown");
  });

  it("reports a different key for a known host as changed, with the entry", () => {
    const entries = parseKnownHosts(HASHED);
    const verdict = checkKnownHost(entries, "[127.0.99.1]:2222", OTHER_KEY);
    expect(verdict).toMatchObject({ status: "changed", entries: [{ line: 1 }] });
  });

  it("handles comma lists, wildcards, negation, comments and markers", () => {
    const text = [
      "# comment",
      `web1,10.0.0.5 ssh-ed25519 ${HOST_KEY}`,
      `*.bureau.local,!db.bureau.local ssh-ed25519 ${OTHER_KEY}`,
      `@revoked * ssh-ed25519 ${OTHER_KEY.replace("H", "Q")}`,
      `@cert-authority *.ca ssh-ed25519 ${HOST_KEY}`,
      "",
    ].join("\n");
    const entries = parseKnownHosts(text);
    expect(entries).toHaveLength(4);
    expect(checkKnownHost(entries, "10.0.0.5", HOST_KEY).status).toBe("match");
    expect(checkKnownHost(entries, "app.bureau.local", OTHER_KEY).status).toBe("match");
    expect(checkKnownHost(entries, "db.bureau.local", OTHER_KEY).status).toBe("unknown");
    expect(checkKnownHost(entries, "x.ca", HOST_KEY).status).toBe("unknown");
    expect(checkKnownHost(entries, "any", OTHER_KEY.replace("H", "Q")).status).toBe("revoked");
    expect(patternsMatch("web?", "web1")).toBe(true);
    expect(patternsMatch("web?", "web12")).toBe(false);
  });

  it("lists the key types recorded for a host", () => {
    const entries = parseKnownHosts(`h ssh-rsa AAAA\nh ssh-ed25519 BBBB\nother ecdsa-sha2-nistp256 CCCC\n`);
    expect(knownKeyTypes(entries, "h")).toEqual(["ssh-rsa", "ssh-ed25519"]);
  });
});

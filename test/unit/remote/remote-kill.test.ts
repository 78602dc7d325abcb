import { describe, expect, it } from "vitest";
import { PidSniffer, withPidReport } from "../../../src/remote/remote-kill.ts";
import { sh } from "../../../src/remote/shell.ts";

describe("PID report", () => {
  it("prefixes the command and keeps its quoting", () => {
    expect(withPidReport(sh`ls ${"a b"}`).text).toBe(`echo "migrate-pid:$$" >&2; ls 'a b'`);
  });

  it("strips the PID line from stderr even when it arrives in pieces", () => {
    const sniffer = new PidSniffer();
    expect(sniffer.push(Buffer.from("migrate-p")).toString()).toBe("");
    expect(sniffer.push(Buffer.from("id:4242\nreal error\n")).toString()).toBe("real error\n");
    expect(sniffer.pid).toBe(4242);
    expect(sniffer.push(Buffer.from("more")).toString()).toBe("more");
  });

  it("passes stderr through untouched when the shell printed no PID line", () => {
    const sniffer = new PidSniffer();
    expect(sniffer.push(Buffer.from("csh: syntax error\n")).toString()).toBe("csh: syntax error\n");
    expect(sniffer.pid).toBeUndefined();
    const short = new PidSniffer();
    expect(short.push(Buffer.from("x")).toString()).toBe("");
    expect(short.flush().toString()).toBe("x");
  });
});

import { describe, expect, it } from "vitest";
import { replaceAll } from "../../../src/steps/rewrite.ts";
import { repointUpstream, upstreamPointsAt } from "../../../src/steps/traffic/upstream.ts";

describe("rewrite", () => {
  it("replaces bytes without decoding, so GBK files survive", () => {
    const gbk = Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x20]); // "中文 " in GBK
    const input = Buffer.concat([gbk, Buffer.from("db=10.20.1.12;backup=10.20.1.12")]);
    const { content, count } = replaceAll(input, { "10.20.1.12": "127.0.12.2" });
    expect(count).toBe(2);
    expect(content.subarray(0, 5)).toEqual(gbk);
    expect(content.subarray(5).toString()).toBe("db=127.0.12.2;backup=127.0.12.2");
  });

  it("leaves content alone when nothing matches", () => {
    const input = Buffer.from("nothing here");
    expect(replaceAll(input, { a1: "b" })).toEqual({ content: input, count: 0 });
  });
});

describe("upstream file", () => {
  const original = "upstream tax {\n  server 127.0.11.2:8080 max_fails=2;\n  keepalive 8;\n}\n";

  it("points the server line at the target and keeps everything else", () => {
    const switched = repointUpstream(original, "127.0.11.2", "127.0.12.2", 8080);
    expect(switched).toBe("upstream tax {\n  server 127.0.12.2:8080 max_fails=2;\n  keepalive 8;\n}\n");
    expect(upstreamPointsAt(switched, "127.0.11.2", "127.0.12.2")).toBe("target");
    expect(upstreamPointsAt(original, "127.0.11.2", "127.0.12.2")).toBe("source");
  });

  it("does not mistake a longer address for the source", () => {
    expect(upstreamPointsAt("upstream a { server 127.0.11.20:80; }", "127.0.11.2", "127.0.12.2")).toBe(
      "unknown",
    );
  });
});

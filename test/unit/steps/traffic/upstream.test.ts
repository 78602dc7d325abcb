/**
 * Issue 11 item 8 (pure part): an nginx upstream file with several blocks is switched block by
 * block — only the workload's servers at its port move, every line keeps its port, and the
 * reverse move restores the file byte for byte.
 */
import { describe, expect, it } from "vitest";
import {
  parseUpstreams,
  replaceBlocks,
  repointUpstream,
  upstreamPointsAt,
  workloadBlocks,
} from "../../../../src/steps/traffic/upstream.ts";

const FILE = [
  "# gateway upstreams",
  "upstream portal { server 10.0.0.1:80; }",
  "upstream portal_admin {",
  "    server 10.0.0.1:8090 max_fails=2;",
  "}",
  "upstream tax {",
  "    server 10.0.0.2:8080 weight=2;",
  "    server 10.0.0.2:8081 backup;",
  "}",
  "",
].join("\n");

function switchBlocks(
  content: string,
  from: string,
  to: string,
  port: number,
  source: string,
  target: string,
) {
  const blocks = workloadBlocks(content, { source, target }, port);
  return replaceBlocks(content, new Map(blocks.map((b) => [b, repointUpstream(b.text, from, to, port)])));
}

describe("upstream blocks", () => {
  it("finds every block with its name and text", () => {
    expect(parseUpstreams(FILE).map((block) => block.name)).toEqual(["portal", "portal_admin", "tax"]);
    expect(parseUpstreams(FILE)[1]?.text).toBe(
      "upstream portal_admin {\n    server 10.0.0.1:8090 max_fails=2;\n}",
    );
  });

  it("selects a workload's blocks by address and port, not another port of the same host", () => {
    const blocks = workloadBlocks(FILE, { source: "10.0.0.1", target: "10.1.0.1" }, 80);
    expect(blocks.map((block) => block.name)).toEqual(["portal"]);
  });

  it("moves only the workload's lines, keeping ports and parameters, and moves them back exactly", () => {
    const there = switchBlocks(FILE, "10.0.0.1", "10.1.0.1", 80, "10.0.0.1", "10.1.0.1");
    expect(there).toBe(FILE.replace("server 10.0.0.1:80;", "server 10.1.0.1:80;"));
    const back = switchBlocks(there, "10.1.0.1", "10.0.0.1", 80, "10.0.0.1", "10.1.0.1");
    expect(back).toBe(FILE);
  });

  it("keeps each server line's own port and treats a line without a port as port 80", () => {
    const tax = switchBlocks(FILE, "10.0.0.2", "10.1.0.2", 8080, "10.0.0.2", "10.1.0.2");
    expect(tax).toContain("server 10.1.0.2:8080 weight=2;");
    // The backup server on 8081 is another port: not this workload's line.
    expect(tax).toContain("server 10.0.0.2:8081 backup;");
    const bare = "upstream web { server 10.0.0.3; }\n";
    expect(upstreamPointsAt(bare, "10.0.0.3", "10.1.0.3", 80)).toBe("source");
    expect(switchBlocks(bare, "10.0.0.3", "10.1.0.3", 80, "10.0.0.3", "10.1.0.3")).toBe(
      "upstream web { server 10.1.0.3; }\n",
    );
  });
});

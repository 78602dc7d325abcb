/**
 * A rehearsal checks the target directly: a check URL on the gateway is mapped to the target the
 * way the gateway's nginx would proxy it, and the downtime is projected from the measurements.
 */
import { describe, expect, it } from "vitest";
import type { CutoverInput } from "../../../src/steps/inputs.ts";
import { projectDowntimeMs } from "../../../src/steps/projection.ts";
import {
  dnsToTarget,
  proxiedToTarget,
  proxyLocations,
  viaTrafficPath,
} from "../../../src/steps/rehearse-checks.ts";

const input: CutoverInput = {
  workload: "portal",
  source: { name: "portal-src", address: "10.0.0.11" },
  target: { name: "tgt-1", address: "10.9.0.1" },
  paths: ["/srv/portal"],
  hash: "sha256",
  stagingDir: "/var/lib/migrate/portal",
  services: ["nginx.service"],
  rewrites: [],
  databases: [],
  traffic: {
    strategy: "proxy",
    gateway: { name: "gw", address: "10.0.0.1" },
    upstreamFile: "/etc/nginx/conf.d/portal.upstream",
    upstreamPort: 8080,
  },
};
const UPSTREAM = "upstream portal { server 10.0.0.11:8080; }\nupstream admin { server 10.0.0.11:9000; }\n";
const NGINX_T = `# configuration file /etc/nginx/sites-enabled/gateway:
server {
  listen 10.0.0.1:80;
  location = / { return 200 "ok"; }
  location /portal/ { proxy_pass http://portal/; }
  location /portal/static/ { proxy_pass http://portal; }
  location ^~ /admin/ { proxy_set_header Host $host; proxy_pass http://admin/; }
}`;

describe("checks against the target directly", () => {
  it("reads the gateway's prefix locations and where they proxy", () => {
    expect(proxyLocations(NGINX_T)).toEqual([
      { prefix: "/portal/", upstream: "portal", uri: "/" },
      { prefix: "/portal/static/", upstream: "portal" },
      { prefix: "/admin/", upstream: "admin", uri: "/" },
    ]);
  });

  it("maps a gateway URL onto the target as nginx would, longest prefix first", () => {
    expect(proxiedToTarget("http://10.0.0.1/portal/health?x=1", input, UPSTREAM, NGINX_T)).toEqual({
      url: "http://10.9.0.1:8080/health?x=1",
    });
    expect(proxiedToTarget("http://10.0.0.1/portal/static/a.css", input, UPSTREAM, NGINX_T)).toEqual({
      url: "http://10.9.0.1:8080/portal/static/a.css",
    });
  });

  it("names why a gateway path that leads to another upstream cannot be checked on the target", () => {
    const mapped = proxiedToTarget("http://10.0.0.1/admin/", input, UPSTREAM, NGINX_T);
    expect(mapped).toEqual({
      reason: expect.stringContaining("no location on the gateway gw proxies /admin/"),
    });
  });

  it("tells checks through the traffic path from checks already on the target", () => {
    const http = (requestUrl: string) => ({
      kind: "http" as const,
      url: requestUrl,
      requestUrl,
      status: 200,
    });
    expect(viaTrafficPath(http("http://10.0.0.1/portal/"), input)).toBe(true);
    expect(viaTrafficPath(http("http://10.9.0.1/"), input)).toBe(false);
    const dns: CutoverInput = {
      ...input,
      traffic: { strategy: "dns", server: "10.0.0.53", zone: "city.gov.local", record: "www", ttl: 60 },
    };
    expect(viaTrafficPath(http("http://www.city.gov.local/health"), dns)).toBe(true);
    expect(dnsToTarget("http://www.city.gov.local/health", dns)).toBe("http://10.9.0.1/health");
  });
});

describe("projected downtime", () => {
  const measured = {
    listMs: 100,
    hashMs: 50,
    treeMs: 200,
    changedFiles: 3,
    changedBytes: 2_000_000,
    transferBps: 1_000_000,
    dumpMs: 1_500,
    dumpBytes: 3_000_000,
    restoreMs: 1_000,
    startMs: 300,
    verifyMs: 400,
    stopMs: 2_000,
    switchMs: 50,
  };

  it("adds the freeze, final sync, the slower of dump and its stream, restore, start, switch test, verify", () => {
    // 2000 stop + (100 + 50 + 2000 + 200) sync + max(1500, 3000) + 1000 restore + 300 + 50 + 400
    expect(projectDowntimeMs(measured)).toBe(2000 + 2350 + 3000 + 1000 + 300 + 50 + 400);
  });

  it("sends at a stated fallback rate when the rehearsal sent nothing to measure", () => {
    const idle = {
      ...measured,
      transferBps: 0,
      changedBytes: 1024 * 1024,
      dumpBytes: 0,
      dumpMs: 0,
      restoreMs: 0,
    };
    expect(projectDowntimeMs(idle)).toBe(2000 + 100 + 50 + 1000 + 200 + 300 + 50 + 400);
  });
});

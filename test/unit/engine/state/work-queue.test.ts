import { describe, expect, it } from "vitest";
import { queueOf, servedQueues } from "../../../../src/engine/state/work-queue.ts";

describe("the queues a runner serves", () => {
  const names = [
    queueOf({ host: "portal-src", zone: "internet" }),
    queueOf({ host: "portal-src", zone: "egov-extranet" }),
    queueOf({ host: "portal-src2", zone: "egov-extranet" }),
    queueOf({ host: "tax-src", zone: "egov-extranet" }),
    "another-app-queue",
  ];

  it("names one queue per source host and zone", () => {
    expect(names[0]).toBe("migrate.host.portal-src@internet");
    expect(queueOf({ host: "odd host/1", zone: "internet" })).toBe("migrate.host.odd_host_1@internet");
  });

  it("serves every migrate queue by default, its hosts' with --hosts, its zone's with --zone, both together", () => {
    expect(servedQueues(names, undefined, undefined)).toEqual(names.slice(0, 4));
    expect(servedQueues(names, ["portal-src"], undefined)).toEqual(names.slice(0, 2));
    expect(servedQueues(names, undefined, "egov-extranet")).toEqual(names.slice(1, 4));
    expect(servedQueues(names, ["portal-src", "tax-src"], "egov-extranet")).toEqual([names[1], names[3]]);
  });
});

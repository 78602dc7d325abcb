import { describe, expect, it } from "vitest";
import type { WorkloadStatus } from "../../../../src/engine/events.ts";
import { type SchedulerWorkload, schedule } from "../../../../src/engine/running/scheduler.ts";

function workload(name: string, extra: Partial<SchedulerWorkload> = {}): SchedulerWorkload {
  return { name, wave: 1, host: "h1", tenant: "t1", dependsOn: [], ...extra };
}

/** Counts concurrent runs, overall and per key, while each run waits a few event-loop turns. */
function tracker() {
  let inFlight = 0;
  const max = { global: 0, host: new Map<string, number>(), tenant: new Map<string, number>() };
  const now = { host: new Map<string, number>(), tenant: new Map<string, number>() };
  const order: string[] = [];
  const bump = (map: Map<string, number>, peak: Map<string, number>, key: string, by: number) => {
    map.set(key, (map.get(key) ?? 0) + by);
    peak.set(key, Math.max(peak.get(key) ?? 0, map.get(key) ?? 0));
  };
  const run = async (w: SchedulerWorkload, status: WorkloadStatus = "succeeded") => {
    order.push(w.name);
    inFlight++;
    max.global = Math.max(max.global, inFlight);
    bump(now.host, max.host, w.host, 1);
    bump(now.tenant, max.tenant, w.tenant, 1);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    bump(now.host, max.host, w.host, -1);
    bump(now.tenant, max.tenant, w.tenant, -1);
    return status;
  };
  return { run, max, order };
}

/** The tracker's run, noting when each workload starts and ends. */
function logged(t: ReturnType<typeof tracker>, events: string[]) {
  return async (w: SchedulerWorkload) => {
    events.push(`start ${w.name}`);
    const status = await t.run(w);
    events.push(`end ${w.name}`);
    return status;
  };
}

describe("scheduler", () => {
  it("never exceeds the global, per-host and per-tenant limits", async () => {
    const workloads = Array.from({ length: 60 }, (_, i) =>
      workload(`w${i}`, { host: `h${i % 5}`, tenant: `t${i % 3}` }),
    );
    const t = tracker();
    const results = await schedule({
      waves: [{ wave: 1, workloads }],
      limits: { concurrency: 8, perHost: 2, perTenant: 3 },
      prior: new Map(),
      run: (w) => t.run(w),
      skip: () => {},
      signal: new AbortController().signal,
    });
    expect(results.size).toBe(60);
    expect(t.max.global).toBeLessThanOrEqual(8);
    expect(Math.max(...t.max.host.values())).toBeLessThanOrEqual(2);
    expect(Math.max(...t.max.tenant.values())).toBe(3);
    // The limits bind: with 3 tenants × 3 the global 8 is reached.
    expect(t.max.global).toBe(8);
  });

  /** Peaks reached by 12 workloads over `hosts` source hosts and `tenants` tenants under `limits`. */
  async function peaks(
    limits: { concurrency: number; perHost: number; perTenant: number },
    hosts: number,
    tenants: number,
  ) {
    const workloads = Array.from({ length: 12 }, (_, i) =>
      workload(`w${i}`, { host: `h${i % hosts}`, tenant: `t${i % tenants}` }),
    );
    const t = tracker();
    const results = await schedule({
      waves: [{ wave: 1, workloads }],
      limits,
      prior: new Map(),
      run: (w) => t.run(w),
      skip: () => {},
      signal: new AbortController().signal,
    });
    expect([...results.values()].every((status) => status === "succeeded")).toBe(true);
    expect(results.size).toBe(12);
    return {
      global: t.max.global,
      host: Math.max(...t.max.host.values()),
      tenant: Math.max(...t.max.tenant.values()),
    };
  }

  it("holds every source host to perHost when only that limit binds", async () => {
    // One tenant, two hosts: perHost 1 allows two at once, far below the global 6 and perTenant 6.
    expect(await peaks({ concurrency: 6, perHost: 1, perTenant: 6 }, 2, 1)).toEqual({
      global: 2,
      host: 1,
      tenant: 2,
    });
  });

  it("holds every tenant to perTenant when only that limit binds", async () => {
    // One source host, three tenants: perTenant 1 allows three at once.
    expect(await peaks({ concurrency: 6, perHost: 6, perTenant: 1 }, 1, 3)).toEqual({
      global: 3,
      host: 3,
      tenant: 1,
    });
  });

  it("holds the whole wave to the global concurrency when only that limit binds", async () => {
    expect(await peaks({ concurrency: 2, perHost: 6, perTenant: 6 }, 3, 3)).toEqual({
      global: 2,
      host: 1,
      tenant: 1,
    });
    expect(await peaks({ concurrency: 5, perHost: 6, perTenant: 6 }, 1, 1)).toEqual({
      global: 5,
      host: 5,
      tenant: 5,
    });
  });

  it("lets a workload start as soon as its host frees a slot, not when the wave ends", async () => {
    const t = tracker();
    const events: string[] = [];
    await schedule({
      waves: [{ wave: 1, workloads: [workload("a"), workload("b"), workload("c", { host: "h2" })] }],
      limits: { concurrency: 3, perHost: 1, perTenant: 3 },
      prior: new Map(),
      run: logged(t, events),
      skip: () => {},
      signal: new AbortController().signal,
    });
    expect(events.slice(0, 2).sort()).toEqual(["start a", "start c"]);
    expect(events.indexOf("start b")).toBe(events.indexOf("end a") + 1);
  });

  it("runs waves in order: nothing of wave 2 starts before wave 1 ended", async () => {
    const t = tracker();
    const events: string[] = [];
    await schedule({
      waves: [
        { wave: 1, workloads: [workload("a"), workload("b", { host: "h2" })] },
        { wave: 2, workloads: [workload("c", { wave: 2 })] },
      ],
      limits: { concurrency: 8, perHost: 2, perTenant: 8 },
      prior: new Map(),
      run: logged(t, events),
      skip: () => {},
      onWaveStart: (wave) => events.push(`wave ${wave}`),
      signal: new AbortController().signal,
    });
    expect(events.indexOf("start c")).toBeGreaterThan(events.indexOf("end a"));
    expect(events.indexOf("start c")).toBeGreaterThan(events.indexOf("end b"));
    expect(events.indexOf("wave 2")).toBeGreaterThan(events.indexOf("end b"));
  });

  it("starts a workload only after its dependency in the same wave succeeded", async () => {
    const t = tracker();
    await schedule({
      waves: [{ wave: 1, workloads: [workload("app", { dependsOn: ["db"], host: "h2" }), workload("db")] }],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map(),
      run: (w) => t.run(w),
      skip: () => {},
      signal: new AbortController().signal,
    });
    expect(t.order).toEqual(["db", "app"]);
  });

  it("skips dependents of a failed workload, transitively, with the reason", async () => {
    const skipped: Record<string, string> = {};
    const results = await schedule({
      waves: [
        { wave: 1, workloads: [workload("db"), workload("other", { host: "h2" })] },
        {
          wave: 2,
          workloads: [
            workload("app", { wave: 2, dependsOn: ["db"] }),
            workload("web", { wave: 2, dependsOn: ["app"] }),
          ],
        },
      ],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map(),
      run: async (w) => (w.name === "db" ? "failed" : "succeeded"),
      skip: (w, reason) => {
        skipped[w.name] = reason;
      },
      signal: new AbortController().signal,
    });
    expect(skipped).toEqual({ app: "dependency db failed", web: "dependency app was skipped" });
    expect(results.get("other")).toBe("succeeded");
  });

  it("treats dependencies finished in an earlier run as satisfied", async () => {
    const t = tracker();
    const results = await schedule({
      waves: [{ wave: 2, workloads: [workload("app", { wave: 2, dependsOn: ["db"] })] }],
      limits: { concurrency: 1, perHost: 1, perTenant: 1 },
      prior: new Map([["db", "succeeded"]]),
      run: (w) => t.run(w),
      skip: () => {},
      signal: new AbortController().signal,
    });
    expect(results.get("app")).toBe("succeeded");
  });

  it("starts nothing new once aborted", async () => {
    const controller = new AbortController();
    const started: string[] = [];
    await schedule({
      waves: [{ wave: 1, workloads: [workload("a"), workload("b"), workload("c")] }],
      limits: { concurrency: 1, perHost: 1, perTenant: 1 },
      prior: new Map(),
      run: async (w) => {
        started.push(w.name);
        controller.abort();
        return "interrupted";
      },
      skip: () => {},
      signal: controller.signal,
    });
    expect(started).toEqual(["a"]);
  });

  it("names why a dependency blocks: interrupted, rolled back, or not part of this run", async () => {
    const skipped: Record<string, string> = {};
    await schedule({
      waves: [
        {
          wave: 2,
          workloads: [
            workload("x", { wave: 2, dependsOn: ["gone"] }),
            workload("y", { wave: 2, dependsOn: ["stopped"] }),
            workload("z", { wave: 2, dependsOn: ["undone"] }),
          ],
        },
      ],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map<string, WorkloadStatus>([
        ["stopped", "interrupted"],
        ["undone", "rolled-back"],
      ]),
      run: async () => "succeeded",
      skip: (w, reason) => {
        skipped[w.name] = reason;
      },
      signal: new AbortController().signal,
    });
    expect(skipped).toEqual({
      x: "dependency gone has not succeeded (not part of this run)",
      y: "dependency stopped was interrupted",
      z: "dependency undone was rolled back",
    });
  });

  it("skips workloads that wait on each other (a cycle) instead of hanging", async () => {
    const skipped: Record<string, string> = {};
    const results = await schedule({
      waves: [
        {
          wave: 1,
          workloads: [
            workload("p", { dependsOn: ["q"] }),
            workload("q", { dependsOn: ["p"] }),
            workload("r"),
          ],
        },
      ],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map(),
      run: async () => "succeeded",
      skip: (w, reason) => {
        skipped[w.name] = reason;
      },
      signal: new AbortController().signal,
    });
    expect(skipped).toEqual({ p: "dependency cycle", q: "dependency cycle" });
    expect(results).toEqual(
      new Map([
        ["r", "succeeded"],
        ["p", "skipped"],
        ["q", "skipped"],
      ]),
    );
  });

  it("a run that throws (a bug) fails its workload, lets the wave finish, then stops the schedule with the error", async () => {
    const started: string[] = [];
    const bug = new Error("bug in a step");
    const outcome = await schedule({
      waves: [
        { wave: 1, workloads: [workload("a"), workload("b", { host: "h2" })] },
        { wave: 2, workloads: [workload("c", { wave: 2 })] },
      ],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map(),
      run: async (w) => {
        started.push(w.name);
        if (w.name === "a") throw bug;
        return undefined as unknown as WorkloadStatus;
      },
      skip: () => {},
      signal: new AbortController().signal,
    }).catch((error: unknown) => error);
    expect(outcome).toBe(bug);
    // Wave 2 never starts.
    expect(started).toEqual(["a", "b"]);
  });

  it("reports each wave's workloads at its start, and its end only when not stopped", async () => {
    const controller = new AbortController();
    const events: string[] = [];
    const results = await schedule({
      waves: [
        { wave: 1, workloads: [workload("a"), workload("b", { host: "h2" })] },
        { wave: 2, workloads: [workload("c", { wave: 2 })] },
        { wave: 3, workloads: [workload("d", { wave: 3 })] },
      ],
      limits: { concurrency: 8, perHost: 8, perTenant: 8 },
      prior: new Map(),
      run: async (w) => {
        if (w.name === "c") {
          controller.abort();
          return "interrupted";
        }
        // A run resolving with no status counts as failed.
        return w.name === "b" ? (undefined as unknown as WorkloadStatus) : "succeeded";
      },
      skip: () => {},
      onWaveStart: (wave, names) => events.push(`start ${wave}: ${names.join(",")}`),
      onWaveEnd: (wave) => events.push(`end ${wave}`),
      signal: controller.signal,
    });
    expect(events).toEqual(["start 1: a,b", "end 1", "start 2: c"]);
    expect(results).toEqual(
      new Map<string, WorkloadStatus>([
        ["a", "succeeded"],
        ["b", "failed"],
        ["c", "interrupted"],
      ]),
    );
  });
});

/**
 * TEST HARNESS: drives the real host-progress view (as inventory uses it) with three hosts that
 * answer after different delays, one unreachable. Usage: tsx test/support/replay-hosts.ts [ms]
 */
import { createHostProgress } from "../../src/render/host-progress.ts";

const unit = Number(process.argv[2] ?? 800);
const hosts = [
  { name: "portal-src", role: "source", after: unit, ok: true },
  { name: "tax-src", role: "source", after: 3 * unit, ok: true },
  { name: "tgt-9", role: "target", after: 2 * unit, ok: false },
];
const progress = await createHostProgress({ mode: "auto", title: "inventory demo", hosts });
await Promise.all(
  hosts.map(async (host) => {
    progress.start(host.name);
    await new Promise((resolve) => setTimeout(resolve, host.after));
    progress.end(
      host.name,
      host.ok,
      host.ok ? undefined : "cannot connect to 127.0.12.9:22: connection refused",
    );
  }),
);
await progress.close();

/** Starting and stopping a workload's services on a host through systemctl. */
import { sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";
import { SERVICE_MS } from "./support.ts";

export async function stopServices(
  remote: Remote,
  services: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  // Reverse order: the last service started (often the front end) stops first.
  for (const service of [...services].reverse()) {
    await remote.check(sh`systemctl stop ${service}`, { signal, timeoutMs: SERVICE_MS });
  }
}

export async function startServices(
  remote: Remote,
  services: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  for (const service of services) {
    await remote.check(sh`systemctl start ${service}`, { signal, timeoutMs: SERVICE_MS });
  }
}

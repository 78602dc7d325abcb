/**
 * The live view's event store: events fold into one mutable RunState (cheap at thousands of
 * progress events per second); React reads it through useSyncExternalStore keyed by a version.
 */
import type { EngineEvent } from "../../engine/events.ts";
import { initialState, type RunState, reduce, type WorkloadInfo } from "../run-state.ts";

export class RunStore {
  readonly state: RunState;
  private version = 0;
  private readonly listeners = new Set<() => void>();

  constructor(workloads: readonly WorkloadInfo[] = []) {
    this.state = initialState(workloads);
  }

  push(event: EngineEvent): void {
    reduce(this.state, event);
    this.changed();
  }

  markStopping(): void {
    this.state.stopping = true;
    this.changed();
  }

  private changed(): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;
}

/** Time as the engine reads it: the real clock in a run, a fake one in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

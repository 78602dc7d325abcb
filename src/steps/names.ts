/**
 * The five steps of a workload, in the order they run. Steps own their names; the engine, the
 * journal, renderers and reports import them from here.
 */
export const STEPS = ["snapshot", "transfer", "reconfigure", "cutover", "verify"] as const;
export type StepName = (typeof STEPS)[number];

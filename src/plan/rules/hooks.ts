/** Every hook runs on a host of the plan (the step names themselves are checked by the schema). */
import type { Finding } from "../diagnostics.ts";
import { didYouMean } from "../did-you-mean.ts";
import { error, type Rule } from "./context.ts";

export const hooks: Rule = (context) => {
  const out: Finding[] = [];
  const known = [...context.hosts.keys(), ...context.skipped.hosts];
  context.plan.workloads.forEach((workload, i) => {
    for (const phase of ["before", "after"] as const) {
      for (const [step, list] of Object.entries(workload.hooks?.[phase] ?? {})) {
        (list ?? []).forEach((hook, h) => {
          if (context.hosts.has(hook.host) || context.skipped.hosts.has(hook.host)) return;
          out.push(
            error(
              "unknown-reference",
              `hook host "${hook.host}" is not a host in this plan${didYouMean(hook.host, known)}`,
              context.workloadPath(i, "hooks", phase, step, h, "host"),
            ),
          );
        });
      }
    }
  });
  return out;
};

/** Every semantic rule, one file per rule family; each returns all of its findings. */
import { advice } from "./advice.ts";
import type { Rule } from "./context.ts";
import { dependencies } from "./dependencies.ts";
import { hooks } from "./hooks.ts";
import { names } from "./names.ts";
import { paths } from "./paths.ts";
import { policy } from "./policy.ts";
import { references } from "./references.ts";
import { uniqueNames } from "./uniqueness.ts";
import { timezone, windows } from "./windows.ts";

export const RULES: readonly Rule[] = [
  uniqueNames,
  references,
  dependencies,
  policy,
  paths,
  names,
  windows,
  timezone,
  advice,
  hooks,
];

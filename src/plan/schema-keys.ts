/** The keys the schema allows at a plan path, for "did you mean" on unknown keys. */
import type { z } from "zod";
import type { PlanPath } from "./diagnostics.ts";
import { Plan } from "./schema.ts";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
};

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

function valueAt(root: unknown, path: PlanPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/** Object schemas reachable at `path`; for unions, the options whose keys overlap the given value's. */
function schemasAt(path: PlanPath, root: unknown): z.ZodType[] {
  let current: z.ZodType[] = unwrap(Plan);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const schema of current) {
      const def = defOf(schema);
      if (typeof segment === "number" && def.type === "array" && def.element)
        next.push(...unwrap(def.element));
      if (typeof segment === "string" && def.type === "object" && def.shape?.[segment])
        next.push(...unwrap(def.shape[segment]));
    }
    current = next;
  }
  const objects = current.filter((s) => defOf(s).type === "object");
  const value = valueAt(root, path);
  if (objects.length > 1 && value !== null && typeof value === "object") {
    const given = Object.keys(value);
    const overlapping = objects.filter((s) => given.some((k) => k in (defOf(s).shape ?? {})));
    if (overlapping.length > 0) return overlapping;
  }
  return objects;
}

/** Keys allowed at `path`, read from the zod schema (union members matched by the given keys). */
export function knownKeysAt(path: PlanPath, root: unknown): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(path, root))
    for (const key of Object.keys(defOf(schema).shape ?? {})) keys.add(key);
  return [...keys];
}

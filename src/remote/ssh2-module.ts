/**
 * ssh2 loaded with require(): it is CommonJS, and importing it through ESM makes Node lex every
 * one of its files for named exports (and run each through the TypeScript loader's hooks),
 * which costs a noticeable part of a short command's start-up.
 */
import { createRequire } from "node:module";

type Ssh2 = typeof import("ssh2");

export const ssh2: Ssh2 = createRequire(import.meta.url)("ssh2") as Ssh2;

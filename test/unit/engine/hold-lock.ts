// Child process for lock tests: take the lock named on argv, say so, then wait to be killed.
import { acquireLock } from "../../../src/engine/journal/lock.ts";

const path = process.argv[2] as string;
await acquireLock(path, "migrate apply test-holder");
process.stdout.write("held\n");
setInterval(() => {}, 1_000);

/**
 * The state database's password from a password file (PGPASSFILE, else ~/.pgpass), read as
 * libpq reads it: `host:port:database:user:password` lines, `*` matching anything, `\:` and `\\`
 * escaped, the first matching line winning. Read here rather than by the driver, whose own
 * support prints a deprecation warning on every command.
 */
import { readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";

/** Split one line on unescaped colons, undoing the escapes. */
function fields(line: string): string[] {
  const out: string[] = [];
  let field = "";
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (char === "\\" && i + 1 < line.length) field += line[++i];
    else if (char === ":") {
      out.push(field);
      field = "";
    } else field += char;
  }
  out.push(field);
  return out;
}

/** The password of the first line matching the URL's host, port, database and user, if any. */
export function pgpassPassword(url: URL, env: NodeJS.ProcessEnv): string | undefined {
  const file = env.PGPASSFILE || join(homedir(), ".pgpass");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // no password file: the driver asks the server without a password
  }
  const user = decodeURIComponent(url.username) || env.PGUSER || userInfo().username;
  const wanted = [
    decodeURIComponent(url.hostname) || "localhost",
    url.port || env.PGPORT || "5432",
    decodeURIComponent(url.pathname.slice(1)) || user,
    user,
  ];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const parts = fields(line);
    if (parts.length < 5) continue;
    if (wanted.every((value, i) => parts[i] === "*" || parts[i] === value)) return parts.slice(4).join(":");
  }
  return undefined;
}

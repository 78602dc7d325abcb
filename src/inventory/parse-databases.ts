/** Pure parsers for the database probes (PostgreSQL via psql -At, MySQL/MariaDB via mysql -NB). */
export interface DatabaseServerFacts {
  engine: "postgresql" | "mysql";
  port: number;
  /** The server answered. */
  running: boolean;
  version?: string;
  databases: { name: string; bytes: number }[];
  /** Why the server did not answer (client missing, connection refused, ...). */
  error?: string;
}

function parseRows(
  text: string,
  separator: "|" | "\t",
): { version?: string; rows: [string, string][] } | undefined {
  const lines = text.split("\n").filter((line) => line !== "");
  const first = lines[0];
  if (!first?.startsWith(`version${separator}`)) return undefined;
  const rows: [string, string][] = [];
  for (const line of lines.slice(1)) {
    // The size never holds the separator; a database name might.
    const cut = line.lastIndexOf(separator);
    if (cut > 0) rows.push([line.slice(0, cut), line.slice(cut + 1)]);
  }
  return { version: first.slice("version".length + 1).trim(), rows };
}

function failed(engine: DatabaseServerFacts["engine"], port: number, text: string): DatabaseServerFacts {
  const absent = /^absent[|\t](.*)$/.exec(text.trim());
  const error = absent
    ? absent[1]!
    : text.trim().split("\n").slice(-2).join(" ").slice(0, 300) || "no answer";
  return { engine, port, running: false, databases: [], error };
}

export function parsePostgres(port: number, text: string): DatabaseServerFacts {
  const parsed = parseRows(text, "|");
  if (!parsed) return failed("postgresql", port, text);
  const databases = parsed.rows
    .map(([name, size]) => ({ name, bytes: Number(size) }))
    .filter((db) => Number.isFinite(db.bytes))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    engine: "postgresql",
    port,
    running: true,
    databases,
    ...(parsed.version ? { version: parsed.version } : {}),
  };
}

const MYSQL_SYSTEM = new Set(["information_schema", "performance_schema", "mysql", "sys"]);

export function parseMysql(port: number, text: string): DatabaseServerFacts {
  const parsed = parseRows(text, "\t");
  if (!parsed) return failed("mysql", port, text);
  const databases = parsed.rows
    .filter(([name]) => !MYSQL_SYSTEM.has(name))
    .map(([name, size]) => ({ name, bytes: size === "NULL" ? 0 : Number(size) }))
    .filter((db) => Number.isFinite(db.bytes))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    engine: "mysql",
    port,
    running: true,
    databases,
    ...(parsed.version ? { version: parsed.version } : {}),
  };
}

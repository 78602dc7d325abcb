/**
 * MySQL / MariaDB: row counts read from the dump itself as it passes.
 *
 * mysqldump --single-transaction reads every table inside one consistent snapshot, but no other
 * session can join that snapshot (there is no pg_export_snapshot). Counting in another session
 * means either a second snapshot at another instant (rows deleted or added in between make the
 * restore's comparison fail) or a global read lock held until mysqldump has provably opened its
 * transaction, which nothing reports reliably, which needs the RELOAD privilege, and which
 * stalls every writer behind the longest running query. The rows in the dump's INSERT
 * statements are, by definition, the rows of its snapshot and exactly what the restore inserts,
 * so they are counted there, with no lock and no second session.
 *
 * The dump passes through awk unchanged (stdout); the counts (table TAB rows, every table the
 * dump creates, in dump order) go to the file named by $1, written only when both mysqldump and
 * the counting succeeded. The format read is mysqldump's own: a table's rows are INSERT
 * statements starting a line, one row or more per line, strings single-quoted with backslash
 * escapes (so a line break inside a value is always escaped, and a line never starts inside a
 * string). Trigger, routine and event bodies sit between `DELIMITER ;;` and `DELIMITER ;` and
 * are not data. Anything else in a data statement stops the dump with an error naming the
 * table, rather than count wrongly.
 */
import { type ShellCommand, sh } from "../../remote/shell.ts";

/**
 * The counting awk program (exported for the unit test that runs it on real mysqldump output).
 * The backtick is made with sprintf: it cannot be written in this source's template literal.
 */
export const COUNT_AWK = String.raw`
function fail(why) {
  printf "cannot count the rows of %s in the dump: %s\n", table, why > "/dev/stderr"
  failed = 1
  exit 1
}
function identifier(text) {
  if (!match(text, "^" bq "([^" bq "]|" bq bq ")*" bq)) return ""
  rest = substr(text, RLENGTH + 1)
  name = substr(text, 2, RLENGTH - 2)
  gsub(bq bq, bq, name)
  return name
}
function created(name) {
  if (!(name in rows)) { rows[name] = 0; order[++tables] = name }
}
function values(text) {
  gsub(/\\./, "", text)
  gsub(/'[^']*'/, "", text)
  if (index(text, "'")) fail("an unterminated string")
  opened = gsub(/\(/, "", text)
  if (opened != gsub(/\)/, "", text)) fail("unbalanced parentheses")
  rows[table] += opened
  if (text ~ /;[ \t\r]*$/) table = ""
}
BEGIN { FS = "\n"; bq = sprintf("%c", 96) }
{ print }
table != "" {
  # One row per line with no parenthesis in its values (MariaDB's layout): no string to strip.
  if ($0 ~ /^\([^()]*\)[,;]\r?$/) { rows[table]++; if ($0 ~ /;\r?$/) table = "" }
  else values($0)
  next
}
body { if ($0 ~ /^DELIMITER ;[ \t\r]*$/) body = 0; next }
/^DELIMITER / { body = 1; next }
index($0, "CREATE TABLE " bq) == 1 { created(identifier(substr($0, 14))); next }
index($0, "INSERT INTO " bq) == 1 {
  table = identifier(substr($0, 13))
  if (table == "") fail("an unreadable table name")
  created(table)
  if (substr(rest, 1, 2) == " (") {
    rest = substr(rest, 3)
    while (identifier(rest) != "") if (substr(rest, 1, 1) == ",") rest = substr(rest, 2 + (substr(rest, 2, 1) == " "))
    if (substr(rest, 1, 1) != ")") fail("an unreadable column list")
    rest = substr(rest, 2)
  }
  if (!match(rest, /^ VALUES ?/)) fail("no VALUES")
  values(substr(rest, RLENGTH + 1))
}
END {
  if (failed) exit 1
  if (table != "") fail("the dump ends inside its INSERT statement")
  out = ENVIRON["MIGRATE_COUNTS"]
  printf "" > out
  for (i = 1; i <= tables; i++) printf "%s\t%d\n", order[i], rows[order[i]] > out
}
`;

/**
 * mysqldump's exit status is kept apart from the pipeline's (sh has no pipefail): a failed dump
 * must leave no counts behind and must not exit 0. The counts are renamed into place last.
 */
const DUMP_WITH_COUNTS = `
set -eu
counts=$1 program=$2
shift 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
{ status=0; mysqldump "$@" || status=$?; echo "$status" >"$t/status"; } |
  MIGRATE_COUNTS="$counts.tmp" LC_ALL=C awk "$program"
read -r status <"$t/status"
[ "$status" = 0 ] || exit "$status"
mv -f "$counts.tmp" "$counts"
`;

/** The dump on stdout; the row counts of exactly the rows it holds into `countsFile`. */
export function mysqlDumpWithCountsCommand(dumpArguments: ShellCommand, countsFile: string): ShellCommand {
  return sh`sh -c ${DUMP_WITH_COUNTS} mysql-dump ${countsFile} ${COUNT_AWK}${dumpArguments}`;
}

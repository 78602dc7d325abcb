/**
 * The manifest script that runs on a host: POSIX sh + GNU find + sha256sum and openssl.
 * Roots arrive NUL-separated on stdin, records leave NUL-delimited with the path last, so any
 * file name survives (spaces, quotes, Chinese, leading dashes, newlines).
 *
 * Output: metadata triples `<meta>\0<path>\0<symlink target>\0`, then the field `#hashes`, then
 * `<hex>  <path>\0` per regular file, then `#xattrs` and getfattr's dump as one field (or
 * `#noxattrs` without getfattr). parse.ts reads it. The tree is walked once for metadata,
 * readability and attributes (hashing walks it again for the files).
 *
 * Sorted (a metadata-only tree listing, when asked): the field `#sorted`, the attributes section,
 * then one field `<path>\1<meta>\1<symlink target>` per entry, sorted by `LC_ALL=C sort -z` —
 * byte order, which is the manifest's order (UTF-8 byte order = comparePaths) — then `#hashes`.
 * The orchestrator then sorts nothing. Whole records sort by path only while no path holds a
 * \1 byte (then the path's end, \1, sorts before any byte a longer path goes on with); a record
 * with more than two \1 bytes (in its name or link target), or a host whose sort has no -z,
 * gets the unsorted output instead.
 */
import { type ShellCommand, sh } from "../remote/shell.ts";
import type { HashAlgorithm } from "./model.ts";

export type ManifestMode = "tree" | "list" | "top";

/** Exit status of the script when a root does not exist on the host. */
export const MISSING_ROOT_EXIT = 3;
/** Exit status when the login cannot read a file or list a directory; stderr: count, then paths. */
export const UNREADABLE_EXIT = 4;
/** Exit status when a source root is a symlink (only the link would move); stderr names it. */
export const ROOT_SYMLINK_EXIT = 5;
/** Exit status when find reported an error other than an entry vanishing; stderr holds it. */
export const LISTING_FAILED_EXIT = 6;
export const HASHES_MARKER = "#hashes";
/** First field of sorted output: attributes, then one `path\1meta\1link` field per entry, in order. */
export const SORTED_MARKER = "#sorted";
/** Then one field: getfattr's text dump (names, hex values) of every entry that has any. */
export const XATTRS_MARKER = "#xattrs";
/** Instead of XATTRS_MARKER: the host has no getfattr, so ACLs and xattrs are not known. */
export const NO_XATTRS_MARKER = "#noxattrs";

const SCRIPT = `
list=$(mktemp) || exit 70
trap 'rm -f "$list" "$list".*' EXIT
cat > "$list"
# find options: list/top look at exactly the listed paths; tree and top follow a root that is a
# symlink to a directory (a target's data disk), never a symlink below it.
MIGRATE_DEPTH=
H=
case "$1" in list) MIGRATE_DEPTH=0 ;; top) MIGRATE_DEPTH=0; H=-H ;; tree) H=-H ;; esac
export MIGRATE_DEPTH H
if [ "$1" = tree ]; then
  xargs -0 -r sh -c 'for p; do [ -e "$p" ] || [ -L "$p" ] || { printf "missing: %s\\n" "$p" >&2; exit 1; }; done' roots < "$list" || exit ${MISSING_ROOT_EXIT}
  if [ "$3" = refuse-links ]; then
    xargs -0 -r sh -c 'for p; do if [ -L "$p" ]; then printf "%s -> %s\\n" "$p" "$(readlink -f -- "$p")" >&2; exit 1; fi; done' roots < "$list" || exit ${ROOT_SYMLINK_EXIT}
  fi
fi
# One walk of the tree does three things: it prints every entry's metadata; it notes, per find
# run (the shell's pid: xargs may start several), every file this login cannot read and every
# directory it cannot list; and it feeds every entry to getfattr, which reads the extended
# attributes meanwhile, through a FIFO this shell holds open until the walk is done.
META='%y %s %m %U %G %T@ %C@ %D %i %n'
export FMT="$META\\0%p\\0%l\\0" UNREADABLE="$list.u" ATTRS=/dev/null
SORTED=
if [ "$4" = sorted ] && [ "$(printf 'b\\000a\\000' | LC_ALL=C sort -z 2>/dev/null | tr '\\000' ,)" = a,b, ]; then
  SORTED="$list.s"
  FMT="%p\\001$META\\001%l\\0"
fi
if command -v getfattr >/dev/null 2>&1; then
  ATTRS="$list.p"
  mkfifo "$ATTRS" || exit 70
  xargs -0 -r getfattr -h -d -m - -e hex --absolute-names -- < "$ATTRS" > "$list.a" 2>/dev/null &
  attrs=$!
  exec 5> "$ATTRS"
fi
# Sockets cannot be archived; leave them out of the manifest rather than fail later.
walk() {
  xargs -0 -r sh -c 'exec find $H "$@" \${MIGRATE_DEPTH:+-maxdepth 0} ! -type s -fprint0 "$ATTRS" \\( \\( \\( -type f ! -readable \\) -o \\( -type d \\( ! -readable -o ! -executable \\) \\) \\) -fprint0 "$UNREADABLE.$$" , -printf "$FMT" \\)' meta < "$list" 2> "$list.x"
}
if [ -n "$SORTED" ]; then walk > "$SORTED"; else walk; fi
if [ -n "\${attrs:-}" ]; then exec 5>&-; wait "$attrs"; fi
# ACLs, file capabilities, SELinux labels and user xattrs, all as extended attributes.
xattrs() {
  if [ -n "\${attrs:-}" ]; then
    printf '${XATTRS_MARKER}\\000'
    cat "$list.a"
    printf '\\000'
  else
    printf '${NO_XATTRS_MARKER}\\000'
  fi
}
# What this login cannot read (files) or list (directories) is refused, never skipped.
for found in "$UNREADABLE".*; do [ -s "$found" ] && cat -- "$UNREADABLE".* > "$UNREADABLE" && break; done
if [ -s "$UNREADABLE" ]; then
  printf 'unreadable: %s\\n' "$(tr -cd '\\000' < "$UNREADABLE" | wc -c)" >&2
  tr '\\000' '\\n' < "$UNREADABLE" | head -n 5 >&2
  exit ${UNREADABLE_EXIT}
fi
# An entry find could not read (an I/O error, a permission lost meanwhile) would be missing from
# the manifest without a word: only entries that vanished on a live host may be left out.
if [ -s "$list.x" ] && grep -v -e 'No such file or directory$' "$list.x" | grep -q .; then cat "$list.x" >&2; exit ${LISTING_FAILED_EXIT}; fi
if [ -n "$SORTED" ]; then
  # Exactly two \\1 bytes in every record, or whole records would not sort by path: unsorted then.
  if tr -cd '\\001\\000' < "$SORTED" | tr '\\000' '\\n' | grep -q -v -x "$(printf '\\001\\001')"; then
    # Walked again for the unsorted records alone (readability and attributes are known).
    FMT="$META\\0%p\\0%l\\0"
    ATTRS=/dev/null
    UNREADABLE="$list.v"
    walk
  else
    printf '${SORTED_MARKER}\\000'
    xattrs
    # A sort that fails (its temporary disk full) would leave entries out: a failed listing.
    LC_ALL=C sort -z -- "$SORTED" || exit ${LISTING_FAILED_EXIT}
    printf '${HASHES_MARKER}\\000'
    exit 0
  fi
fi
printf '${HASHES_MARKER}\\000'
# $1: extra find tests selecting files by size (unquoted on purpose: constant words or nothing).
files() {
  SIZE=$1 xargs -0 -r sh -c 'if [ -n "$MIGRATE_DEPTH" ]; then exec find $H "$@" -maxdepth 0 -type f $SIZE -print0; else exec find $H "$@" -type f $SIZE -print0; fi' files < "$list"
}
# Hashing uses every core of the host: xargs runs one hasher per core over slices of the file
# list. Each writes its records to a file of its own and, when its slice is done, copies it to
# the output under a lock (flock), so records never interleave and output keeps flowing (the
# reader's stall window). Without flock the hashers run one at a time. Order does not matter:
# the reader sorts by path.
P=1
if command -v flock >/dev/null 2>&1; then P=$(nproc 2>/dev/null || echo 1); fi
export P LOCK="$list.l"
: > "$LOCK"
# $1: files per hasher; the rest: the hasher's command and arguments, the files appended.
parallel() {
  n=$1
  shift
  xargs -0 -r -P "$P" -n "$n" sh -c 'out=$(mktemp) || exit 70; "$@" > "$out"; if [ "$P" -gt 1 ]; then flock "$LOCK" cat -- "$out"; else cat -- "$out"; fi; rm -f -- "$out"' hash "$@"
}
# One openssl per file: SM3 always; SHA-256 for files of 1 MiB and more, where OpenSSL's
# SHA-NI code is several times faster than coreutils' sha256sum (which wins on small files).
# A file that fails to hash prints no record; the reader asks whether it still exists.
# $1: the algorithm; $2: files per hasher (one for large files, so a slice is one file's work).
per_file() {
  parallel "$2" sh -c 'for f; do h=$(openssl dgst "-$0" -r < "$f") && printf "%s  %s\\000" "\${h%% *}" "$f"; done' "$1"
}
if [ "$2" = none ]; then
  :
elif [ "$2" = sm3 ]; then
  files "" | per_file sm3 50
elif command -v openssl >/dev/null 2>&1; then
  files "-size -1024k" | parallel 500 sha256sum -z
  files "-size +1023k" | per_file sha256 1
else
  files "" | parallel 500 sha256sum -z
fi
xattrs
exit 0
`;

/**
 * `tree`: everything under the roots (snapshot, final sync). `list`: exactly the listed paths
 * (verifying a batch on the target); `top`: exactly the listed roots, a root symlinked to a
 * directory read as that directory. `refuse` (sources): a root that is a symlink is an error. Files that vanish while the script runs are left out.
 * Hash `none` lists metadata only, for the quick "changed since the snapshot" check.
 */
export function manifestCommand(
  mode: ManifestMode,
  hash: HashAlgorithm | "none",
  rootLinks: "refuse" | "follow" = "follow",
  /** Sorted on the host where it can (a `tree` listing with hash `none`): see the top. */
  sorted = false,
): ShellCommand {
  const order = sorted && mode === "tree" && hash === "none" ? "sorted" : "unsorted";
  return sh`sh -c ${SCRIPT} migrate-manifest ${mode} ${hash} ${rootLinks === "refuse" ? "refuse-links" : "follow-links"} ${order}`;
}

/** Roots (or the listed paths) as the script's stdin. */
export function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${path}\0`).join(""));
}

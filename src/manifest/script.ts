/**
 * The manifest script that runs on a host: POSIX sh + GNU find + sha256sum and openssl.
 * Roots arrive NUL-separated on stdin, records leave NUL-delimited with the path last, so any
 * file name survives (spaces, quotes, Chinese, leading dashes, newlines).
 *
 * Output: metadata triples `<meta>\0<path>\0<symlink target>\0`, then the field `#hashes`, then
 * `<hex>  <path>\0` per regular file, then `#xattrs` and getfattr's dump as one field (or
 * `#noxattrs` without getfattr). parse.ts reads it. The tree is walked once: that walk streams
 * the metadata out while it feeds readability checks, attributes and the hashers of files under
 * 1 MiB (their records held until the metadata is out); files of 1 MiB and more are hashed after
 * it, their records leaving as each file is done.
 *
 * Sorted (a tree listing, when asked): fields `#wait` while the host works, then `#sorted`, the
 * attributes section, then one field `<path>\1<meta>\1<symlink target>` per entry and, right
 * before a regular file's entry, its hash as `<path>\1#<hex>`, all sorted by `LC_ALL=C sort -z` —
 * byte order, which is the manifest's order (UTF-8 byte order = comparePaths) — then `#hashes`.
 * The orchestrator then sorts and joins nothing. Whole records sort by path only while no path
 * holds a \1 byte (then the path's end, \1, sorts before any byte a longer path goes on with,
 * and `#` before any entry type); a record with more than two \1 bytes (in its name or link
 * target), or a host whose sort has no -z (or, hashing, whose sed has no -z), gets the unsorted
 * output instead.
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
/** Before SORTED_MARKER, any number of times: the host is still walking or hashing (no data). */
export const WAIT_MARKER = "#wait";
/** Instead of SORTED_MARKER (a listing compared with a kept one): the records that differ, then END_MARKER. */
export const DIFF_MARKER = "#diff";
/** Instead of DIFF_MARKER: the kept listing is missing or not the one named, or this listing cannot be compared. */
export const STALE_MARKER = "#stale";
export const END_MARKER = "#end";
/** Then one field: getfattr's text dump (names, hex values) of every entry that has any. */
export const XATTRS_MARKER = "#xattrs";
/** Instead of XATTRS_MARKER: the host has no getfattr, so ACLs and xattrs are not known. */
export const NO_XATTRS_MARKER = "#noxattrs";

const SCRIPT = `
list=$(mktemp) || exit 70
trap 'if [ -n "\${ticker:-}" ]; then kill "$ticker"; fi; rm -rf "$list" "$list".*' EXIT
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
# One walk of the tree does it all: it prints every entry's metadata; it notes, per find run
# (the shell's pid: xargs may start several), every file this login cannot read and every
# directory it cannot list, and every file of 1 MiB or more (hashed after the walk); and through
# FIFOs this shell holds open until the walk is done it feeds every entry to getfattr, which
# reads the extended attributes meanwhile, and every smaller file to the hashers, which hash
# meanwhile.
META='%y %s %m %U %G %T@ %C@ %D %i %n'
D="$list.d"
mkdir "$D" || exit 70
export FMT="$META\\0%p\\0%l\\0" UNREADABLE="$list.u" ATTRS=/dev/null SMALL=/dev/null LARGE="$D/large" D
SORTED=
SEP=$(printf '\\001')
# Hash records become \`<path>\\1#<hex>\` fields (sed -z), sorted with the entries: each right before its entry.
KEYED='s/^\\([0-9a-f]\\{64\\}\\) [ *]\\(.*\\)$/\\2'"$SEP"'#\\1/'
if [ "$4" = sorted ] && [ "$(printf 'b\\000a\\000' | LC_ALL=C sort -z 2>/dev/null | tr '\\000' ,)" = a,b, ] &&
  { [ "$2" = none ] || [ "$(printf '%064d  a\\nb\\000' 0 | LC_ALL=C sed -z "$KEYED" 2>/dev/null | tr '\\000\\001\\n' ',;+')" = "a+b;#$(printf '%064d' 0)," ]; }; then
  SORTED="$list.s"
  FMT="%p\\001$META\\001%l\\0"
fi
# $5 keep: the sorted metadata records are also kept in the file $6 (a private staging file), for
# a later listing to be compared with on this host; only where comm has -z. $5 diff: this
# listing is compared with the one kept in $6, which must have the sha256 $7; only the records
# that differ leave (\`comm -3\`: a record only in the kept listing as it is, one only in this
# listing after a tab). Attributes are not read then: a changed attribute changes the entry's
# ctime, so its record differs and the caller reads that entry again.
if [ "$5" = keep ]; then
  rm -f -- "$6" "$6.tmp"
  [ "$(printf 'a\\000b\\000' | LC_ALL=C comm -z -3 - /dev/null 2>/dev/null | tr '\\000' ,)" = a,b, ] || set -- "$1" "$2" "$3" "$4"
fi
# OpenSSL's SHA-256 is several times faster than sha256sum's on a listing of a million entries.
if [ "$5" = diff ]; then
  if [ -f "$6" ] && command -v openssl >/dev/null 2>&1; then kept=$(openssl dgst -sha256 -r < "$6" 2>/dev/null); kept=\${kept%% *}
  elif [ -f "$6" ]; then kept=$(sha256sum < "$6" 2>/dev/null); kept=\${kept%% *}
  fi
  if [ -z "$SORTED" ] || [ "\${kept:-}" != "$7" ]; then printf '${STALE_MARKER}\\000'; exit 0; fi
fi
COMPARE=\${5:-}
if [ "$5" != diff ] && command -v getfattr >/dev/null 2>&1; then
  ATTRS="$list.p"
  mkfifo "$ATTRS" || exit 70
  xargs -0 -r getfattr -h -d -m - -e hex --absolute-names -- < "$ATTRS" > "$list.a" 2>/dev/null &
  attrs=$!
  exec 5> "$ATTRS"
fi
# Hashing uses every core of the host: xargs runs one hasher per core over slices of the file
# list. Each writes its records to a file of its own and, when its slice is done, copies it to
# its output under a lock (flock, or a directory where the host has no flock: mkdir is atomic),
# so records never interleave. Order does not matter: the reader sorts by path.
export FLOCK=
if command -v flock >/dev/null 2>&1; then FLOCK=flock; fi
P=$(nproc 2>/dev/null || echo 1)
export P
# $1: files per hasher; the rest: the hasher's command and arguments, the files appended.
hashers() {
  n=$1
  shift
  xargs -0 -r -P "$P" -n "$n" sh -c 'out=$(mktemp "$D/out.XXXXXX") || exit 70; "$@" > "$out"; if [ -n "$FLOCK" ]; then flock "$D/lock" cat -- "$out"; else until mkdir "$D/lock.d" 2>/dev/null; do sleep 0.01 2>/dev/null || sleep 1; done; cat -- "$out"; rmdir "$D/lock.d"; fi; rm -f -- "$out"' hash "$@"
}
# One openssl per file: SHA-256 for files of 1 MiB and more, where OpenSSL's SHA-NI code is
# several times faster than coreutils' sha256sum (which wins on small files), and SM3 for a name
# OpenSSL would escape in its output (a backslash or a newline). A file that fails to hash prints
# no record; the reader asks whether it still exists.
ONE='for f; do h=$(openssl dgst "-$0" -r < "$f") && printf "%s  %s\\000" "\${h%% *}" "$f"; done'
# Small files with SM3: one openssl per slice, its \`<hex> *<name>\` lines turned into records;
# a slice holding a name OpenSSL would escape goes one file at a time. (Every name here is
# absolute, so none reads as an option.)
MANY='for f; do case $f in *\\\\*|*"
"*) exec sh -c "$ONE" "$0" "$@" ;; esac; done
openssl dgst "-$0" -r "$@" | sed "s/^\\([0-9a-f]\\{64\\}\\) \\*/\\1  /" | tr "\\n" "\\000"'
export ONE
# Thousands of files per hasher: each slice starts half a dozen processes (a few ms each), and
# 500 per slice made that most of the hashing's cost on small files. (xargs still cuts a slice
# at its 128-KiB command line.)
small() {
  if [ "$1" = sm3 ]; then hashers 4000 sh -c "$MANY" sm3; else hashers 4000 sha256sum -z; fi
}
# A large file is one hasher's whole slice, so its record leaves as soon as it is hashed.
large() {
  if [ "$1" = sm3 ]; then hashers 1 sh -c "$ONE" sm3
  elif command -v openssl >/dev/null 2>&1; then hashers 1 sh -c "$ONE" sha256
  else hashers 1 sha256sum -z; fi
}
if [ "$2" != none ]; then
  # The small files' records are held in a file until the walk's records are all out.
  SMALL="$D/small"
  mkfifo "$SMALL" || exit 70
  # Closed for good (not saved as a redirection would be), or getfattr would never see its end.
  (exec 5>&-; small "$2") < "$SMALL" > "$D/held" 2> "$D/errors" &
  hashing=$!
  exec 6> "$SMALL"
fi
# Sorted output starts only once all is hashed and sorted: until then a field \`#wait\` every few
# seconds in which the walk or the hashers made progress, so the reader's stall window still
# tells a stuck host (no progress, no field) from a busy one.
if [ -n "$SORTED" ]; then
  : > "$SORTED"
  [ -e "$D/held" ] || : > "$D/held"
  (
    exec 5>&- 6>&-
    last=
    while sleep 5 > /dev/null 2>&1; do
      now="$(wc -c < "$SORTED") $(wc -c < "$D/held") $(wc -c 2>/dev/null < "$D/keyed")"
      if [ "$now" != "$last" ]; then printf '${WAIT_MARKER}\\000'; last=$now; fi
    done
  ) &
  ticker=$!
fi
# Stopped (and waited for) before anything else is written to the output.
quiet() {
  if [ -n "\${ticker:-}" ]; then kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null; ticker=; fi
}
# Sockets cannot be archived; leave them out of the manifest rather than fail later.
# Compared with a kept listing, only metadata is listed: a file that differs is read again (list
# mode, its readability checked then) and one that does not need not be read at all, so the walk
# asks only whether each directory can be listed (asking it of every file was a quarter of find's
# time on a million files).
walk() {
  if [ "$COMPARE" = diff ]; then
    xargs -0 -r sh -c 'exec find $H "$@" \${MIGRATE_DEPTH:+-maxdepth 0} ! -type s \\( \\( -type d \\( ! -readable -o ! -executable \\) -fprint0 "$UNREADABLE.$$" \\) , -printf "$FMT" \\)' meta < "$list" 2> "$list.x"
    return
  fi
  xargs -0 -r sh -c 'exec find $H "$@" \${MIGRATE_DEPTH:+-maxdepth 0} ! -type s -fprint0 "$ATTRS" \\( \\( \\( -type f ! -readable \\) -o \\( -type d \\( ! -readable -o ! -executable \\) \\) \\) -fprint0 "$UNREADABLE.$$" , -type f -size -1024k -fprint0 "$SMALL" , -type f -size +1023k -fprint0 "$LARGE.$$" , -printf "$FMT" \\)' meta < "$list" 2> "$list.x"
}
if [ -n "$SORTED" ]; then walk > "$SORTED"; else walk; fi
if [ -n "\${attrs:-}" ]; then exec 5>&-; wait "$attrs"; fi
# The hashers finish the little the walk queued last (a FIFO holds 64 KiB of names).
if [ -n "\${hashing:-}" ]; then exec 6>&-; wait "$hashing"; fi
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
    # Walked again for the unsorted records alone (readability and attributes are known; the
    # small files' hashes are held, the large ones' hashed below).
    quiet
    if [ "$5" = diff ]; then printf '${STALE_MARKER}\\000'; exit 0; fi
    FMT="$META\\0%p\\0%l\\0"
    ATTRS=/dev/null
    SMALL=/dev/null
    UNREADABLE="$list.v"
    LARGE="$D/again"
    walk
  else
    keyed=
    if [ "$2" != none ]; then
      cat -- "$D/errors" >&2
      cat -- "$LARGE".* 2>/dev/null | large "$2" >> "$D/held"
      keyed="$D/keyed"
      LC_ALL=C sed -z "$KEYED" "$D/held" > "$keyed" || exit ${LISTING_FAILED_EXIT}
    fi
    if [ "$5" = keep ]; then
      (umask 077 && LC_ALL=C sort -z -o "$6.tmp" -- "$SORTED" && mv -f -- "$6.tmp" "$6") || rm -f -- "$6.tmp"
    fi
    if [ "$5" = diff ]; then
      LC_ALL=C sort -z -o "$list.n" -- "$SORTED" || exit ${LISTING_FAILED_EXIT}
      quiet
      printf '${DIFF_MARKER}\\000'
      LC_ALL=C comm -z -3 -- "$6" "$list.n" || exit ${LISTING_FAILED_EXIT}
      printf '${END_MARKER}\\000'
      exit 0
    fi
    quiet
    printf '${SORTED_MARKER}\\000'
    xattrs
    # A sort that fails (its temporary disk full) would leave entries out: a failed listing.
    LC_ALL=C sort -z -- "$SORTED" \${keyed:+"$keyed"} || exit ${LISTING_FAILED_EXIT}
    printf '${HASHES_MARKER}\\000'
    exit 0
  fi
fi
printf '${HASHES_MARKER}\\000'
if [ "$2" != none ]; then
  cat -- "$D/errors" >&2
  cat -- "$D/held"
  cat -- "$LARGE".* 2>/dev/null | large "$2"
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
  /** Sorted on the host where it can (a `tree` listing, hashed or not): see the top. */
  sorted = false,
  /** A sorted metadata listing kept on the host, or compared with the one kept there (see the script). */
  kept?: KeptListing,
): ShellCommand {
  const order = sorted && mode === "tree" ? "sorted" : "unsorted";
  const links = rootLinks === "refuse" ? "refuse-links" : "follow-links";
  if (kept === undefined || order !== "sorted")
    return sh`sh -c ${SCRIPT} migrate-manifest ${mode} ${hash} ${links} ${order}`;
  return sh`sh -c ${SCRIPT} migrate-manifest ${mode} ${hash} ${links} ${order} ${kept.use} ${kept.file} ${kept.sha256 ?? ""}`;
}

/** `keep`: keep the listing in `file`; `diff` (metadata only): compare with the one kept there, whose sha256 is `sha256`. */
export interface KeptListing {
  use: "keep" | "diff";
  file: string;
  sha256?: string;
}

/** Roots (or the listed paths) as the script's stdin. */
export function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${path}\0`).join(""));
}

/**
 * The manifest script that runs on a host: POSIX sh + GNU find + sha256sum and openssl.
 * Roots arrive NUL-separated on stdin, records leave NUL-delimited with the path last, so any
 * file name survives (spaces, quotes, Chinese, leading dashes, newlines).
 *
 * Output: metadata triples `<meta>\0<path>\0<symlink target>\0`, then the field `#hashes`, then
 * `<hex>  <path>\0` per regular file. parse.ts reads it.
 */
import { type ShellCommand, sh } from "../../remote/shell.ts";
import type { HashAlgorithm } from "./model.ts";

/** Exit status of the script when a root does not exist on the host. */
export const MISSING_ROOT_EXIT = 3;
export const HASHES_MARKER = "#hashes";

const SCRIPT = `
list=$(mktemp) || exit 70
trap 'rm -f "$list"' EXIT
cat > "$list"
MIGRATE_DEPTH=
if [ "$1" = list ]; then MIGRATE_DEPTH=0; fi
export MIGRATE_DEPTH
if [ "$1" = tree ]; then
  xargs -0 -r sh -c 'for p; do [ -e "$p" ] || [ -L "$p" ] || { printf "missing: %s\\n" "$p" >&2; exit 1; }; done' roots < "$list" || exit ${MISSING_ROOT_EXIT}
fi
export FMT='%y %s %m %U %G %T@ %C@ %D %i %n\\0%p\\0%l\\0'
# Sockets cannot be archived; leave them out of the manifest rather than fail later.
xargs -0 -r sh -c 'if [ -n "$MIGRATE_DEPTH" ]; then exec find "$@" -maxdepth 0 ! -type s -printf "$FMT"; else exec find "$@" ! -type s -printf "$FMT"; fi' meta < "$list"
printf '${HASHES_MARKER}\\000'
# $1: extra find tests selecting files by size (unquoted on purpose: constant words or nothing).
files() {
  SIZE=$1 xargs -0 -r sh -c 'if [ -n "$MIGRATE_DEPTH" ]; then exec find "$@" -maxdepth 0 -type f $SIZE -print0; else exec find "$@" -type f $SIZE -print0; fi' files < "$list"
}
# One openssl per file: SM3 always; SHA-256 for files of 1 MiB and more, where OpenSSL's
# SHA-NI code is several times faster than coreutils' sha256sum (which wins on small files).
per_file() {
  xargs -0 -r sh -c 'for f; do h=$(openssl dgst "-$0" -r < "$f") && printf "%s  %s\\000" "\${h%% *}" "$f"; done' "$1"
}
if [ "$2" = none ]; then
  :
elif [ "$2" = sm3 ]; then
  files "" | per_file sm3
elif command -v openssl >/dev/null 2>&1; then
  files "-size -1024k" | xargs -0 -r sha256sum -z
  files "-size +1023k" | per_file sha256
else
  files "" | xargs -0 -r sha256sum -z
fi
exit 0
`;

/**
 * `tree`: everything under the roots (snapshot, final sync). `list`: exactly the listed paths
 * (verifying a batch on the target). Files that vanish while the script runs are left out.
 * Hash `none` lists metadata only, for the quick "changed since the snapshot" check.
 */
export function manifestCommand(mode: "tree" | "list", hash: HashAlgorithm | "none"): ShellCommand {
  return sh`sh -c ${SCRIPT} migrate-manifest ${mode} ${hash}`;
}

/** Roots (or the listed paths) as the script's stdin. */
export function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${path}\0`).join(""));
}

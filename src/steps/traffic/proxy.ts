/**
 * The proxy strategy: the gateway's nginx upstream file points at the source or the target.
 * A switch writes the new content to a hidden temp file beside it (outside the include glob),
 * keeps a copy of the old file, renames the new one into place, runs `nginx -t` and only then
 * `nginx -s reload`; a failing test puts the old file back, so nginx never loads a broken config.
 * (Testing the temp file before the rename would test the old config: nginx only reads the
 * file by its real name.)
 */
import { RemoteError } from "../../errors.ts";
import { checkResult } from "../../remote/check-result.ts";
import { sh } from "../../remote/shell.ts";
import type { Remote } from "../../remote/types.ts";
import { QUICK_MS } from "../support.ts";

export async function readRemoteFile(remote: Remote, file: string, signal: AbortSignal): Promise<Buffer> {
  const result = await remote.check(sh`base64 -w0 -- ${file}`, { signal, timeoutMs: QUICK_MS });
  return Buffer.from(result.stdout.trim(), "base64");
}

// Switches on one gateway are serialized by a lock on the file's directory (no lock file to
// leave behind), and the file is replaced only if it still holds what the switch was computed
// from ($2, its sha256): another workload's switch in between makes this one read again (exit 3).
// An empty stdin with $2 = "-" only tests and reloads (the file already says where to point).
const INSTALL = `
set -u
file=$1
expected=$2
dir=$(dirname -- "$file")
base=$(basename -- "$file")
exec 9<"$dir"
flock -w 60 9 || { echo "another switch holds $dir for over 60 s" >&2; exit 1; }
if [ "$expected" = - ]; then
  nginx -t >&2 || exit 2
else
  now=$(sha256sum < "$file" | cut -c1-64)
  if [ "$now" != "$expected" ]; then
    echo "$file changed since it was read" >&2
    exit 3
  fi
  tmp=$(mktemp "$dir/.$base.migrate-XXXXXX") || exit 1
  old=$(mktemp "$dir/.$base.migrate-old-XXXXXX") || exit 1
  trap 'rm -f "$tmp" "$old"' EXIT
  cat > "$tmp" || exit 1
  cp -p -- "$file" "$old" || exit 1
  chown --reference="$file" "$tmp" && chmod --reference="$file" "$tmp" || exit 1
  mv -f -- "$tmp" "$file" || exit 1
  if ! nginx -t >&2; then
    mv -f -- "$old" "$file"
    echo "nginx -t refused the new $file; the old one is back" >&2
    exit 2
  fi
fi
# reload is asynchronous: old workers keep serving (the old upstream) until they finish, so
# wait for them to exit; otherwise a check right after the switch still reaches the old side.
master=$(cat /run/nginx.pid 2>/dev/null || true)
workers=$( [ -n "$master" ] && pgrep -P "$master" | tr '\n' ' ')
nginx -s reload || exit 1
i=0
while [ $i -lt 150 ]; do
  alive=
  for p in $workers; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
  sleep 0.1
  i=$((i + 1))
done
echo "old nginx workers still running 15s after reload" >&2
exit 0
`;

/** Thrown when the upstream file changed between reading it and installing the new one. */
export class UpstreamChanged extends Error {}

/**
 * Atomically replace the upstream file, if it still hashes to `expected`, and reload nginx; the
 * old file stays if nginx refuses. Without `content`, only test and reload.
 */
export async function installUpstream(
  remote: Remote,
  file: string,
  content: Buffer | undefined,
  expected: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const result = await remote.run(sh`sh -c ${INSTALL} install-upstream ${file} ${expected ?? "-"}`, {
    stdin: content ?? "",
    signal,
    timeoutMs: 2 * 60_000 + QUICK_MS,
  });
  if (result.exitCode === 3) throw new UpstreamChanged(`${file} on ${remote.host} changed since it was read`);
  if (result.exitCode === 2) {
    throw new RemoteError(
      "remote",
      `nginx on ${remote.host} refused the new ${file}; traffic is unchanged`,
      {
        host: remote.host,
        command: "install upstream",
        exitCode: result.exitCode,
        stderrTail: result.stderr.slice(-2000),
      },
      { hint: "run nginx -t on the gateway to see why; fix its configuration, then resume" },
    );
  }
  checkResult(result, { what: `could not switch ${file}` });
}

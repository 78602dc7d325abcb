/**
 * The target's side of a large file's ranges (range-send.ts): append each range from stdin to
 * the partial copy, hash it on the way in, make it durable, and print its digest. Two forms:
 * a Python 3 one (where pythonReceives says the host can) that reads, writes and hashes in one
 * process and makes range N durable in a second thread while range N+1 arrives, so the stream
 * never waits for the disk unless it falls two ranges behind; and a POSIX sh + coreutils one
 * (dd | tee | openssl, one sync per range) for hosts without it. Both print a range's digest
 * only once its bytes are on disk, which is what the orchestrator journals.
 */
import type { HashAlgorithm } from "../manifest/model.ts";
import { type ShellCommand, sh } from "../remote/shell.ts";
import type { Remote } from "../remote/types.ts";

/** Exit status when a range did not arrive whole (the stream ended early, the disk is full). */
export const SHORT_EXIT = 8;

/** argv: partial copy, algorithm, its verified size, then each range's length. */
const RECEIVE_SH = `part=$1 algo=$2 size=$3
shift 3
digest() { if command -v openssl >/dev/null 2>&1; then openssl dgst "-$algo" -r; else sha256sum; fi; }
for len; do
  h=$(dd bs=1M count="$len" iflag=count_bytes,fullblock status=none | tee -a -- "$part" | digest) || exit 1
  [ "$(stat -c %s -- "$part")" -eq "$((size + len))" ] || exit ${SHORT_EXIT}
  size=$((size + len))
  sync -- "$part" 2>/dev/null || sync
  printf '%s\\n' "\${h%% *}"
done`;

/** The same protocol in Python 3.4+ (standard library only). */
export const RECEIVE_PY = String.raw`import hashlib, os, sys, threading
import queue
part, algo, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
lengths = [int(n) for n in sys.argv[4:]]
fd = os.open(part, os.O_WRONLY | os.O_APPEND)
src = sys.stdin.buffer.raw
durable = queue.Queue(maxsize=1)
failed = []

def settle():
    while True:
        item = durable.get()
        if item is None:
            return
        try:
            os.fdatasync(fd)
        except OSError as error:
            failed.append(error)
            return
        sys.stdout.write(item + "\n")
        sys.stdout.flush()

def hand(item):
    while not failed:
        try:
            durable.put(item, timeout=1)
            return
        except queue.Full:
            pass

syncer = threading.Thread(target=settle)
syncer.start()
buf = bytearray(1 << 20)
view = memoryview(buf)
code = 0
for length in lengths:
    h, left = hashlib.new(algo), length
    while left > 0 and not failed:
        got = src.readinto(view[:min(left, len(buf))])
        if not got:
            break
        h.update(view[:got])
        done = 0
        while done < got:
            done += os.write(fd, view[done:got])
        left -= got
    if failed:
        code = 1
        break
    size += length - left
    if left > 0 or os.fstat(fd).st_size != size:
        code = ${SHORT_EXIT}
        break
    hand(h.hexdigest())
hand(None)
syncer.join()
if failed:
    sys.stderr.write("migrate: making %s durable failed: %s\n" % (part, failed[0]))
    code = code or 1
sys.exit(code)
`;

/** The receiving command for `lengths` appended to `part` (already `from` bytes long). */
export function receiveCommand(
  part: string,
  hash: HashAlgorithm,
  from: number,
  lengths: readonly number[],
  python: boolean,
): ShellCommand {
  const args = sh`${part} ${hash} ${String(from)} ${lengths.map(String)}`;
  return python ? sh`python3 -c ${RECEIVE_PY} ${args}` : sh`sh -c ${RECEIVE_SH} receive ${args}`;
}

const probes = new WeakMap<Remote, Map<HashAlgorithm, Promise<boolean>>>();

/**
 * Whether `remote` can run the Python receiver with `hash`: a Python 3.4+ whose hashlib has the
 * algorithm (SM3 needs an OpenSSL that has it). Asked once per host and algorithm, before the
 * first range is sent; bureau hosts without it get the sh receiver.
 */
export function pythonReceives(remote: Remote, hash: HashAlgorithm, signal: AbortSignal): Promise<boolean> {
  let known = probes.get(remote);
  if (known === undefined) {
    known = new Map();
    probes.set(remote, known);
  }
  let probe = known.get(hash);
  if (probe === undefined) {
    const check = "import hashlib, sys; assert sys.version_info >= (3, 4); hashlib.new(sys.argv[1])";
    probe = remote
      .run(sh`python3 -c ${check} ${hash} 2>/dev/null`, { signal, timeoutMs: 30_000 })
      .then((result) => result.exitCode === 0);
    known.set(hash, probe);
    probe.catch(() => known.delete(hash));
  }
  return probe;
}

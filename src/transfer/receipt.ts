/**
 * A batch checked as it arrives: on the target, one Python process sits between the stream and
 * `tar x`, passes every byte on unchanged, reads the archive's headers as they go by and hashes
 * each regular member's content on its way into tar; once tar has exited it reads the target's
 * clock and lists what tar wrote (lstat, link targets, extended attributes where the host has
 * getfattr, which is what the batch check's listing would see). The orchestrator gets that
 * listing with digests — the receipt — on the extraction's own stdout: no second channel, no
 * `find`, `getfattr` or `openssl` per batch, and no file read back from disk.
 *
 * The digest is of the bytes tar was given, which is what it wrote. A later change to a file
 * changes its mtime or its ctime (target-evidence.ts), so the receipt is evidence like the
 * re-read was, on the condition the whole transfer already rests on: nothing else writes the
 * workload's paths on the target while tar extracts them.
 *
 * The receipt lists entries in the same text find prints (`%T@`'s ten fractional digits) and
 * getfattr's `name=0xhex` lines; an entry that does not match the manifest (a format this
 * host's tools print differently, a file that vanished or changed on a live source) is looked
 * at again by the ordinary listing (batch-verify.ts), so the receipt only ever makes a check
 * cheaper, never looser. A stream it cannot parse leaves every digest out: every file is then
 * hashed by that listing.
 */
import type { HashAlgorithm, ManifestEntry } from "../manifest/model.ts";
import { ManifestParseError, parseMeta, pushFields } from "../manifest/parse.ts";
import { type ShellCommand, sh } from "../remote/shell.ts";

/** First field of a receipt; then the clock, then whether attributes were read (`x`) or not (`-`). */
export const RECEIPT_MARKER = "#receipt";

/**
 * argv: algorithm, `zstd` or `plain`, the batch's roots, `--`, then the tar command to feed.
 * Python 3.4+ and the standard library only (pythonReceives asks the host first).
 */
export const RECEIPT_PY = String.raw`import binascii, hashlib, os, shutil, stat, subprocess, sys, time
algo, packed = sys.argv[1], sys.argv[2] == "zstd"
cut = sys.argv.index("--")
roots = [os.fsencode(r).rstrip(b"/") for r in sys.argv[3:cut]]
unzip = None
if packed:
    unzip = subprocess.Popen(["zstd", "-dcq"], stdout=subprocess.PIPE, bufsize=0)
    src = unzip.stdout
else:
    src = sys.stdin.buffer.raw
tar = subprocess.Popen(sys.argv[cut + 1:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, bufsize=0)
sink = tar.stdin.fileno()
ZERO = bytes(512)
REGULAR = (b"0", b"\0", b"7")

class Reader(object):
    def __init__(self):
        self.ok, self.done, self.zeros = True, False, 0
        self.head, self.left, self.skip = bytearray(), 0, 0
        self.hasher, self.ext, self.kind, self.pax, self.glob = None, None, None, {}, {}
        self.path, self.members, self.digests, self.links = None, [], {}, []

    def feed(self, view):
        i, n = 0, len(view)
        while i < n and not self.done:
            if self.left:
                take = min(self.left, n - i)
                if self.hasher is not None:
                    self.hasher.update(view[i:i + take])
                elif self.ext is not None:
                    self.ext += view[i:i + take]
                self.left -= take
                i += take
                if not self.left:
                    self.ended()
            elif self.skip:
                take = min(self.skip, n - i)
                self.skip -= take
                i += take
            else:
                take = min(512 - len(self.head), n - i)
                self.head += view[i:i + take]
                i += take
                if len(self.head) == 512:
                    head, self.head = bytes(self.head), bytearray()
                    self.header(head)

    def header(self, h):
        if h == ZERO:
            self.zeros += 1
            self.done = self.zeros >= 2
            return
        self.zeros = 0
        kind = h[156:157]
        size = self.number(h[124:136])
        attrs = dict(self.glob)
        attrs.update(self.pax)
        if kind in (b"x", b"g"):
            self.ext, self.kind = bytearray(), kind
            self.data(size)
            return
        self.pax = {}
        if kind not in REGULAR + (b"1", b"2", b"3", b"4", b"5", b"6"):
            raise ValueError("member type %r" % kind)
        name = attrs.get(b"path")
        if name is None:
            name = h[0:100].split(b"\0", 1)[0]
            prefix = h[345:500].split(b"\0", 1)[0]
            if prefix:
                name = prefix + b"/" + name
        if b"size" in attrs:
            size = int(attrs[b"size"])
        path = b"/" + name.strip(b"/")
        self.members.append(path)
        if kind in REGULAR:
            self.hasher, self.path = hashlib.new(algo), path
            self.data(size)
        else:
            if kind == b"1":
                link = attrs.get(b"linkpath", h[157:257].split(b"\0", 1)[0])
                self.links.append((path, b"/" + link.strip(b"/")))
            self.data(size)

    def data(self, size):
        self.left, self.skip = size, -size % 512
        if not size:
            self.ended()

    def ended(self):
        if self.hasher is not None:
            self.digests[self.path] = self.hasher.hexdigest().encode()
            self.hasher = None
        elif self.ext is not None:
            records, self.ext = bytes(self.ext), None
            target = self.pax if self.kind == b"x" else self.glob
            at = 0
            while at < len(records):
                space = records.index(b" ", at)
                length = int(records[at:space])
                key, _, value = records[space + 1:at + length - 1].partition(b"=")
                target[key] = value
                at += length

    @staticmethod
    def number(field):
        if field[0] & 0x80:
            return int(binascii.hexlify(bytes([field[0] & 0x7F]) + field[1:]), 16)
        return int(field.strip(b"\0 ") or b"0", 8)

reader = Reader()
buf = bytearray(1 << 20)
view = memoryview(buf)
broken = False
while True:
    got = src.readinto(view)
    if not got:
        break
    if reader.ok:
        try:
            reader.feed(view[:got])
        except Exception:
            reader.ok = False
    try:
        done = 0
        while done < got:
            done += os.write(sink, view[done:got])
    except BrokenPipeError:
        broken = True
        break
try:
    tar.stdin.close()
except BrokenPipeError:
    pass
code = tar.wait()
if unzip is not None:
    if broken:
        unzip.kill()
    if unzip.wait() != 0 and code == 0:
        sys.stderr.write("migrate: zstd -d failed with status %d\n" % unzip.returncode)
        code = 2
if code in (0, 2) and not broken:
    now = "%.6f" % time.time()
    attrs = shutil.which("getfattr") is not None
    out = sys.stdout.buffer
    out.write(b"${RECEIPT_MARKER}\0" + now.encode() + b"\0" + (b"x" if attrs else b"-") + b"\0")
    digests = reader.digests if reader.ok else {}
    for path, target in reader.links:
        if target in digests:
            digests[path] = digests[target]
    seen = set()
    TYPES = ((stat.S_ISREG, b"f"), (stat.S_ISDIR, b"d"), (stat.S_ISLNK, b"l"), (stat.S_ISFIFO, b"p"),
             (stat.S_ISCHR, b"c"), (stat.S_ISBLK, b"b"), (stat.S_ISSOCK, b"s"))
    def stamp(ns):
        return "%d.%09d0" % divmod(ns, 1000000000)
    for path in reader.members:
        if path in seen or not any(path == r or path.startswith(r + b"/") for r in roots):
            continue
        seen.add(path)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        kind = [letter for test, letter in TYPES if test(st.st_mode)][0]
        meta = "%s %d %o %d %d %s %s %d %d %d" % (kind.decode(), st.st_size, stat.S_IMODE(st.st_mode),
            st.st_uid, st.st_gid, stamp(st.st_mtime_ns), stamp(st.st_ctime_ns), st.st_dev, st.st_ino, st.st_nlink)
        link = b""
        if kind == b"l":
            try:
                link = os.readlink(path)
            except OSError:
                pass
        lines = []
        if attrs:
            try:
                for name in os.listxattr(path, follow_symlinks=False):
                    value = os.getxattr(path, name, follow_symlinks=False)
                    lines.append(os.fsencode(name) + b"=0x" + binascii.hexlify(value))
            except OSError:
                pass
        digest = digests.get(path, b"") if kind == b"f" else b""
        out.write(meta.encode() + b"\0" + path + b"\0" + link + b"\0" + digest + b"\0" + b"\n".join(lines) + b"\0")
    out.flush()
sys.exit(code)
`;

/**
 * The extraction as a receipt-writing command: the receiver decompresses (when `compress`) and
 * feeds `extract`, a tar extraction of the plain archive (tarExtract without compression).
 */
export function receiptCommand(
  extract: ShellCommand,
  roots: readonly string[],
  hash: HashAlgorithm,
  compress: boolean,
): ShellCommand {
  return sh`python3 -c ${RECEIPT_PY} ${hash} ${compress ? "zstd" : "plain"} ${[...roots]} -- ${extract}`;
}

export interface Receipt {
  /** The target's clock (seconds since the epoch) after tar exited, before the first entry was listed. */
  at: string;
  /** What tar wrote, as the check's listing would show it, with digests of the content it was given. */
  entries: ManifestEntry[];
}

/** A receipt's bytes as the receiver wrote them; undefined when there is none (tar failed). */
export function parseReceipt(output: Buffer): Receipt | undefined {
  const fields: string[] = [];
  pushFields([], output, (field) => fields.push(field));
  if (fields.length === 0) return undefined;
  if (fields[0] !== RECEIPT_MARKER || fields.length < 3 || (fields.length - 3) % 5 !== 0)
    throw new ManifestParseError(`bad receipt from the target (${fields.length} fields)`);
  const attributes = fields[2] === "x";
  const entries: ManifestEntry[] = [];
  for (let index = 3; index < fields.length; index += 5) {
    const [meta, path, link, digest, attrs] = fields.slice(index, index + 5) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const entry = parseMeta(meta, path, link);
    if (entry === undefined) continue;
    if (entry.type === "file" && digest !== "") entry.hash = digest;
    // getfattr's dump, as parseXattrs reads it: sorted lines, none for an entry without any.
    if (attributes && attrs !== "") entry.xattrs = attrs.split("\n").sort().join("\n");
    entries.push(entry);
  }
  return { at: fields[1]!, entries };
}

import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { scanArchives } from "../../../src/inventory/archive-scan.ts";
import { collectHost } from "../../../src/inventory/collect.ts";
import { hexBytes, parseElfHeader } from "../../../src/inventory/elf.ts";
import { splitHeadStream } from "../../../src/inventory/head-stream.ts";
import { machineHint } from "../../../src/inventory/native-names.ts";
import {
  memberNative,
  nativeMembers,
  parseRuntimeSection,
  parseScanSection,
  SCAN_STREAM_LIMIT,
} from "../../../src/inventory/parse-scan.ts";
import { parseRanges } from "../../../src/inventory/ranges.ts";
import {
  memberHead,
  memberReadLength,
  parseCentralDirectory,
  parseEndRecord,
} from "../../../src/inventory/zip.ts";
import { LocalRemote } from "../../support/local-remote.ts";

/** A hand-made ELF header: identification, then e_type and e_machine in the file's byte order. */
function elf(bits: 32 | 64, endian: "little" | "big", machine: number, type = 2): Buffer {
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, endian === "little" ? 1 : 2, 1]);
  if (endian === "little") {
    header.writeUInt16LE(type, 16);
    header.writeUInt16LE(machine, 18);
  } else {
    header.writeUInt16BE(type, 16);
    header.writeUInt16BE(machine, 18);
  }
  return header;
}

const JAR = readFileSync(new URL("./fixtures/multi-native.jar", import.meta.url));

describe("ELF header parser", () => {
  it.each([
    [64, "little", 62, "x86_64"],
    [64, "little", 183, "aarch64"],
    [64, "little", 258, "loongarch64"],
    [64, "little", 8, "mips64el"],
    [64, "big", 8, "mips64"],
    [32, "little", 8, "mipsel"],
    [64, "little", 243, "riscv64"],
    [64, "little", 0x9916, "sw_64"],
    [32, "little", 3, "i386"],
    [64, "little", 21, "ppc64le"],
    [64, "big", 22, "s390x"],
    [64, "little", 4242, "e_machine-4242"],
  ] as const)("%i-bit %s e_machine %i is %s", (bits, endian, machine, name) => {
    const header = parseElfHeader(elf(bits, endian, machine));
    expect(header).toEqual({ bits, endian, type: "executable", machine: name, eMachine: machine });
  });

  it("reads the type in the file's byte order and refuses what is not ELF", () => {
    expect(parseElfHeader(elf(64, "big", 22, 3))?.type).toBe("shared");
    expect(parseElfHeader(elf(64, "little", 62, 1))?.type).toBe("relocatable");
    expect(parseElfHeader(Buffer.from("#!/bin/sh\necho not elf at all\n"))).toBeUndefined();
    expect(parseElfHeader(elf(64, "little", 62).subarray(0, 19))).toBeUndefined();
    const badClass = elf(64, "little", 62);
    badClass[4] = 3;
    expect(parseElfHeader(badClass)).toBeUndefined();
    // A real binary of this machine.
    expect(parseElfHeader(readFileSync("/usr/bin/true"))?.eMachine).toBeGreaterThan(0);
  });

  it("turns od's hex back into bytes", () => {
    expect(hexBytes(" 7f 45 4c 46\n 02 01")).toEqual(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]));
    expect(hexBytes("7f4")).toBeUndefined();
    expect(hexBytes("zz")).toBeUndefined();
  });
});

describe("ZIP central directory parser", () => {
  // The directory of a JAR written by Python's zipfile (an independent writer).
  const directory = () => {
    const end = JAR.length - 22;
    expect(JAR.readUInt32LE(end)).toBe(0x06054b50);
    return JAR.subarray(JAR.readUInt32LE(end + 16), end);
  };

  it("lists every entry with method, sizes and local header offset", () => {
    const entries = parseCentralDirectory(directory());
    expect(entries.map((e) => e.name)).toEqual([
      "META-INF/MANIFEST.MF",
      "org/example/Native.class",
      "native/linux-aarch64/libexample.so",
      "native/linux-x86_64/libexample.so",
      "native/windows-x86_64/example.dll",
      "native/darwin/libexample.dylib",
      "资料/说明.txt",
    ]);
    expect(entries[2]).toEqual({
      name: "native/linux-aarch64/libexample.so",
      method: 0,
      compressedSize: 64,
      size: 64,
      localHeaderOffset: 138,
    });
    expect(entries[3]).toMatchObject({ method: 8, size: 4064, localHeaderOffset: 266 });
  });

  it("stops at a directory cut short instead of reading garbage", () => {
    const cut = directory().subarray(0, 150);
    expect(parseCentralDirectory(cut).map((e) => e.name)).toEqual([
      "META-INF/MANIFEST.MF",
      "org/example/Native.class",
    ]);
    expect(parseCentralDirectory(Buffer.from("not a directory"))).toEqual([]);
  });
});

describe("scan output parsers", () => {
  /** What `head -c N -- /dev/null FILE...` prints: a header before each file, newline-separated. */
  const headOutput = (files: [string, Buffer][], first = true) =>
    Buffer.concat(
      [["/dev/null", Buffer.alloc(0)] as [string, Buffer], ...files].map(([name, bytes], i) =>
        Buffer.concat([Buffer.from(`${i === 0 && first ? "" : "\n"}==> ${name} <==\n`), bytes]),
      ),
    );
  const head20 = (b: Buffer) => b.subarray(0, 20);

  it("splits head's stream into files, across batches and short files", () => {
    const batch1 = headOutput([
      ["/srv/a b/ledgerd", head20(elf(64, "little", 62))],
      ["/srv/run.sh", Buffer.from("#!/bin/sh\n")],
      ["/srv/资料/x.so", head20(elf(64, "little", 183, 3))],
    ]);
    // find -exec ... {} + started a second head: its /dev/null header has no newline before it.
    const batch2 = headOutput([["/srv/tab\tname.so.1", head20(elf(64, "little", 258, 3))]]);
    const chunks = splitHeadStream(Buffer.concat([batch1, batch2]), 20);
    expect(chunks.map((c) => [c.name, c.content.length])).toEqual([
      ["/srv/a b/ledgerd", 20],
      ["/srv/run.sh", 10],
      ["/srv/资料/x.so", 20],
      ["/srv/tab\tname.so.1", 20],
    ]);
    // An ELF header whose bytes hold a newline and "==> " stays one file.
    const tricky = elf(64, "little", 62);
    tricky.write("\n==> ", 8, "latin1");
    expect(
      splitHeadStream(
        headOutput([
          ["/x", head20(tricky)],
          ["/y", Buffer.from("y")],
        ]),
        20,
      ).map((c) => c.name),
    ).toEqual(["/x", "/y"]);
  });

  it("keeps ELF files with kind and machine, and archives with their directory's place", () => {
    const hex = (b: Buffer) => b.toString("hex");
    const heads = headOutput([
      ["/srv/tax/bin/ledgerd", head20(elf(64, "little", 62))],
      ["/srv/app/lib/_speedups.cpython-311-aarch64-linux-gnu.so", head20(elf(64, "little", 183, 3))],
      ["/srv/app/node_modules/x/build/Release/addon.node", head20(elf(64, "little", 258, 3))],
      ["/srv/app/not-elf", Buffer.from("#!/bin/sh\n")],
    ]);
    const tails = headOutput([
      ["/srv/app/lib/multi.jar", JAR.subarray(JAR.length - 22)],
      ["/srv/app/lib/broken.jar", Buffer.from("not a zip at all, no!")],
      ["/srv/app/legacy.pyd", Buffer.alloc(22)],
    ]);
    const { scan, archives } = parseScanSection(`h\t${hex(heads)}\nt\t${hex(tails)}`);
    expect(scan.candidates).toBe(7);
    expect(scan.truncated).toBe(false);
    expect(scan.native).toEqual([
      { path: "/srv/tax/bin/ledgerd", kind: "executable", machine: "x86_64", from: "header" },
      {
        path: "/srv/app/lib/_speedups.cpython-311-aarch64-linux-gnu.so",
        kind: "python-extension",
        machine: "aarch64",
        from: "header",
      },
      {
        path: "/srv/app/node_modules/x/build/Release/addon.node",
        kind: "node-addon",
        machine: "loongarch64",
        from: "header",
      },
      { path: "/srv/app/legacy.pyd", kind: "python-extension", machine: "windows", from: "name" },
    ]);
    expect(archives).toEqual([
      {
        path: "/srv/app/lib/multi.jar",
        end: {
          entries: 7,
          directoryOffset: JAR.readUInt32LE(JAR.length - 6),
          directorySize: JAR.readUInt32LE(JAR.length - 10),
        },
      },
    ]);
    expect(parseScanSection("h\t\nt\t").scan).toMatchObject({ candidates: 0, truncated: false });
    // A stream as long as the script's cut is a truncated scan; both sides use the same number.
    const script = readFileSync(new URL("../../../src/inventory/native-scan.sh", import.meta.url), "utf8");
    expect(script).toContain(`scan_bytes=${SCAN_STREAM_LIMIT}\n`);
    const cut = Buffer.alloc(SCAN_STREAM_LIMIT).toString("hex");
    expect(parseScanSection(`h\t${cut}`).scan.truncated).toBe(true);
  });

  it("reads a JAR's native members: Linux ones from their first bytes, others by name", () => {
    const end = parseEndRecord(JAR.subarray(JAR.length - 22))!;
    const directory = JAR.subarray(end.directoryOffset, end.directoryOffset + end.directorySize);
    const { known, pending } = nativeMembers("/a.jar", directory);
    expect(known.map((f) => [f.entry, f.machine])).toEqual([
      ["native/windows-x86_64/example.dll", "windows"],
      ["native/darwin/libexample.dylib", "macos"],
    ]);
    // The stored aarch64 member and the deflated x86_64 one, read from as few bytes as the scan asks.
    const found = pending.map((m) => {
      const from = m.entry.localHeaderOffset;
      return memberNative(m, memberHead(JAR.subarray(from, from + memberReadLength(m.entry, 20)), 20));
    });
    expect(found.map((f) => [f.entry, f.machine, f.from])).toEqual([
      ["native/linux-aarch64/libexample.so", "aarch64", "header"],
      ["native/linux-x86_64/libexample.so", "x86_64", "header"],
    ]);
    // Deflated data cut short (28 of its 34 bytes) still yields the first bytes; garbage, the name's hint.
    const x86 = pending[1]!.entry;
    const cut = JAR.subarray(x86.localHeaderOffset, x86.localHeaderOffset + 30 + x86.name.length + 28);
    expect(parseElfHeader(memberHead(cut, 20)!)?.machine).toBe("x86_64");
    expect(
      memberNative(pending[1]!, memberHead(Buffer.from("garbage that is long enough to parse"), 20)),
    ).toMatchObject({
      machine: "x86_64",
      from: "name",
    });
    expect(machineHint("linux-x86-64/libjnidispatch.so")).toBe("x86_64");
    expect(machineHint("linux-x86/libjnidispatch.so")).toBe("i386");
    expect(machineHint("libfoo.so")).toBeUndefined();
  });

  it("splits ranges by the run's nonce", () => {
    const out = "@@n1 0@@\n 50 4b 01 02\n 0a\n@@n2 9@@\n@@n1 1@@\n@@n1 2@@\n 41 42\nend\n";
    const ranges = parseRanges(out, "n1");
    expect([...ranges.entries()].map(([i, b]) => [i, b.toString("hex")])).toEqual([
      [0, "504b01020a"],
      [1, ""],
      [2, "4142"],
    ]);
  });

  it("names the runtime a service starts, with its version and machine", () => {
    const elfLine = `elf ${elf(64, "little", 62).subarray(0, 20).toString("hex")}`;
    expect(
      parseRuntimeSection("tax.service", `exec /usr/bin/python3\nversion Python 3.11.2\n${elfLine}`),
    ).toEqual({
      service: "tax.service",
      name: "python",
      executable: "/usr/bin/python3",
      version: "3.11.2",
      machine: "x86_64",
    });
    expect(
      parseRuntimeSection("app.service", 'exec /usr/lib/jvm/bin/java\nversion openjdk version "1.8.0_392"'),
    ).toMatchObject({ name: "java", version: "1.8.0_392" });
    expect(
      parseRuntimeSection("w.service", "exec /usr/sbin/php-fpm8.2\nversion PHP 8.2.7 (fpm-fcgi)"),
    ).toMatchObject({ name: "php", version: "8.2.7" });
    expect(parseRuntimeSection("n.service", "exec /usr/bin/node\nversion v18.19.0")).toMatchObject({
      name: "node",
      version: "18.19.0",
    });
    expect(parseRuntimeSection("nginx.service", "exec /usr/sbin/nginx")).toBeUndefined();
    expect(parseRuntimeSection("none.service", "")).toBeUndefined();
  });
});

describe("reading Java archives on a host (this machine's sh and od)", () => {
  const jar = fileURLToPath(new URL("./fixtures/multi-native.jar", import.meta.url));
  const end = parseEndRecord(JAR.subarray(JAR.length - 22))!;
  const archive = (path: string, size = end.directorySize) => ({
    path,
    end: { ...end, directorySize: size },
  });
  const options = { timeoutMs: 30_000 };

  it("reads directories, then members, and says which archives it could not read whole", async () => {
    const found = await scanArchives(new LocalRemote(), [archive(jar), archive("/nonexistent.jar")], options);
    expect(found.native.map((f) => [f.entry, f.machine, f.from])).toEqual([
      ["native/windows-x86_64/example.dll", "windows", "name"],
      ["native/darwin/libexample.dylib", "macos", "name"],
      ["native/linux-aarch64/libexample.so", "aarch64", "header"],
      ["native/linux-x86_64/libexample.so", "x86_64", "header"],
    ]);
    expect(found.unread).toEqual([]);

    const limits = { directory: end.directorySize, budget: end.directorySize * 2, archives: 10, members: 1 };
    const bounded = await scanArchives(
      new LocalRemote(),
      [archive(jar), archive(`${jar}`, end.directorySize + 1), archive(jar), archive(jar)],
      { ...options, limits },
    );
    // Two directories fit the budget, the other two are left unread; of the four Linux members
    // of the two read, one gets its header read (member limit), three keep their name's hint.
    expect(bounded.unread.length).toBe(5);
    expect(bounded.native.filter((f) => f.from === "header")).toHaveLength(1);
    expect(bounded.native.filter((f) => f.entry?.startsWith("native/linux-"))).toHaveLength(4);
  });
});

describe("the scan script on a real tree (this machine's sh, od, tail, gzip)", () => {
  const root = mkdtempSync(path.join(tmpdir(), "migrate-scan-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (file: string, content: Buffer | string, mode = 0o644) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
    chmodSync(path.join(root, file), mode);
  };

  it("finds each machine's binaries, Python and Node natives and JAR members, and nothing else", async () => {
    const machines: [string, number, 32 | 64][] = [
      ["x86_64", 62, 64],
      ["aarch64", 183, 64],
      ["loongarch64", 258, 64],
      ["mips64el", 8, 64],
      ["riscv64", 243, 64],
      ["sw_64", 0x9916, 64],
      ["i386", 3, 32],
    ];
    for (const [name, machine, bits] of machines)
      put(`app/bin/tool-${name}`, elf(bits, "little", machine), 0o755);
    put("app/lib/_c.cpython-311-x86_64-linux-gnu.so", elf(64, "little", 62, 3));
    put("app/node_modules/n/addon.node", elf(64, "little", 183, 3));
    put("app/lib/multi.jar", JAR);
    put(
      "app/lib/plain.jar",
      readFileSync(new URL("./fixtures/multi-native.jar", import.meta.url)).subarray(0, 100),
    );
    put("app/run it.sh", "#!/bin/sh\necho hi\n", 0o755);
    put("app/data.bin", elf(64, "little", 62)); // ELF bytes but neither executable nor named like a library
    put("app/static/index.html", "<h1>hi</h1>");
    copyFileSync("/usr/bin/true", path.join(root, "app/bin/with space"));
    chmodSync(path.join(root, "app/bin/with space"), 0o755);

    const scanPath = path.join(root, "app");
    const facts = await collectHost(
      new LocalRemote(),
      {
        host: { name: "local", address: "127.0.0.1", port: 22, user: "root", auth: { agent: true } },
        role: "source",
        inputs: { paths: [], postgresPorts: [], mysqlPorts: [], scanPaths: [scanPath] },
      },
      { timeoutMs: 60_000 },
    );
    const scan = facts.portability?.paths[scanPath];
    const found = (scan?.native ?? []).map((f) => [
      path.relative(root, f.path),
      f.entry ?? "",
      f.kind,
      f.machine,
    ]);
    expect(found.sort()).toEqual(
      [
        ...machines.map(([name]) => [`app/bin/tool-${name}`, "", "executable", name]),
        ["app/bin/with space", "", "executable", parseElfHeader(readFileSync("/usr/bin/true"))!.machine],
        ["app/lib/_c.cpython-311-x86_64-linux-gnu.so", "", "python-extension", "x86_64"],
        ["app/node_modules/n/addon.node", "", "node-addon", "aarch64"],
        ["app/lib/multi.jar", "native/linux-aarch64/libexample.so", "archive-entry", "aarch64"],
        ["app/lib/multi.jar", "native/linux-x86_64/libexample.so", "archive-entry", "x86_64"],
        ["app/lib/multi.jar", "native/windows-x86_64/example.dll", "archive-entry", "windows"],
        ["app/lib/multi.jar", "native/darwin/libexample.dylib", "archive-entry", "macos"],
      ].sort(),
    );
    // 7 tools, the space one, the script, the extension, the addon, two JARs.
    expect(scan?.candidates).toBe(13);
    expect(scan?.machines.x86_64).toBe(4);
    expect(scan?.nativeCount).toBe(14);
  });
});

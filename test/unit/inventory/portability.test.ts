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
import { afterAll, describe, expect, it } from "vitest";
import { collectHost } from "../../../src/inventory/collect.ts";
import { hexBytes, parseElfHeader } from "../../../src/inventory/elf.ts";
import { machineHint } from "../../../src/inventory/native-names.ts";
import {
  parseArchiveEntries,
  parseRuntimeSection,
  parseScanSection,
} from "../../../src/inventory/parse-scan.ts";
import { parseCentralDirectory } from "../../../src/inventory/zip.ts";
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
  it("keeps ELF files with their kind and machine, and archives' Linux members for a second read", () => {
    const hex = (b: Buffer) => b.subarray(0, 20).toString("hex");
    const body = [
      `e\t${hex(elf(64, "little", 62))}\t/srv/tax/bin/ledgerd`,
      `e\t${hex(elf(64, "little", 183, 3))}\t/srv/app/lib/_speedups.cpython-311-aarch64-linux-gnu.so`,
      `e\t${hex(elf(64, "little", 258, 3))}\t/srv/app/node_modules/x/build/Release/addon.node`,
      `e\t${hex(elf(64, "little", 62, 3))}\t/srv/app/lib/libtab\tname.so.1`,
      "e\t23212f62696e2f7368\t/srv/app/not-elf",
      "w\t/srv/app/legacy.pyd",
      "z\t-\t-\t/srv/app/lib/broken.jar",
      `z\t${JAR.readUInt32LE(JAR.length - 6)}\t${JAR.readUInt32LE(JAR.length - 10)}\t/srv/app/lib/multi.jar`,
      `c\t${JAR.subarray(JAR.readUInt32LE(JAR.length - 6), JAR.length - 22).toString("hex")}`,
      "candidates 9",
    ].join("\n");
    const { scan, pending } = parseScanSection(body);
    expect(scan.candidates).toBe(9);
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
      { path: "/srv/app/lib/libtab\tname.so.1", kind: "shared-object", machine: "x86_64", from: "header" },
      { path: "/srv/app/legacy.pyd", kind: "python-extension", machine: "windows", from: "name" },
      {
        path: "/srv/app/lib/multi.jar",
        kind: "archive-entry",
        machine: "windows",
        entry: "native/windows-x86_64/example.dll",
        from: "name",
      },
      {
        path: "/srv/app/lib/multi.jar",
        kind: "archive-entry",
        machine: "macos",
        entry: "native/darwin/libexample.dylib",
        from: "name",
      },
    ]);
    expect(pending.map((p) => [p.entry, p.method, p.localHeaderOffset])).toEqual([
      ["native/linux-aarch64/libexample.so", 0, 138],
      ["native/linux-x86_64/libexample.so", 8, 266],
    ]);
    expect(parseScanSection("truncated\ncandidates 10000").scan).toMatchObject({
      truncated: true,
      candidates: 10000,
    });
  });

  it("reads members' machines from their headers, else from their names", () => {
    const pending = [
      { archive: "/a.jar", entry: "lib/libx.so", method: 8, compressedSize: 10, localHeaderOffset: 0 },
      {
        archive: "/a.jar",
        entry: "linux-arm64/liby.so",
        method: 8,
        compressedSize: 10,
        localHeaderOffset: 9,
      },
      { archive: "/a.jar", entry: "libz.so", method: 8, compressedSize: 10, localHeaderOffset: 99 },
    ];
    const body = `x\t0\t${elf(64, "little", 0x9916).subarray(0, 20).toString("hex")}\nx\t1\t\nend`;
    expect(parseArchiveEntries(body, pending).map((f) => [f.entry, f.machine, f.from])).toEqual([
      ["lib/libx.so", "sw_64", "header"],
      ["linux-arm64/liby.so", "aarch64", "name"],
      ["libz.so", "unknown", "name"],
    ]);
    expect(machineHint("linux-x86-64/libjnidispatch.so")).toBe("x86_64");
    expect(machineHint("linux-x86/libjnidispatch.so")).toBe("i386");
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

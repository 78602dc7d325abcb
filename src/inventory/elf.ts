/**
 * The first 20 bytes of an ELF file: class, byte order, type and e_machine. Pure; the scan on
 * the source reads exactly these bytes, so the cost per file does not depend on its size.
 */
export interface ElfHeader {
  bits: 32 | 64;
  endian: "little" | "big";
  type: "relocatable" | "executable" | "shared" | "core" | "other";
  /** The plan's name for the CPU (x86_64, aarch64, ...), or `e_machine-N` for one we do not name. */
  machine: string;
  eMachine: number;
}

export const ELF_HEADER_BYTES = 20;

const TYPES: Record<number, ElfHeader["type"]> = {
  1: "relocatable",
  2: "executable",
  3: "shared",
  4: "core",
};

/** e_machine values (System V gABI, Linux elf-em.h; 0x9916 is Sunway's EM_SW64). */
function machineName(eMachine: number, bits: 32 | 64, endian: ElfHeader["endian"]): string {
  switch (eMachine) {
    case 3:
      return "i386";
    case 62:
      return "x86_64";
    case 183:
      return "aarch64";
    case 40:
      return "arm";
    case 258:
      return "loongarch64";
    case 8:
      return `mips${bits === 64 ? "64" : ""}${endian === "little" ? "el" : ""}`;
    case 243:
      return bits === 64 ? "riscv64" : "riscv32";
    case 0x9916:
      return "sw_64";
    case 21:
      return endian === "little" ? "ppc64le" : "ppc64";
    case 22:
      return "s390x";
    default:
      return `e_machine-${eMachine}`;
  }
}

/** Parse an ELF identification and header prefix; undefined when the bytes are not ELF. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (bytes.length < ELF_HEADER_BYTES) return undefined;
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return undefined;
  const bits = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : undefined;
  const endian = bytes[5] === 1 ? "little" : bytes[5] === 2 ? "big" : undefined;
  if (!bits || !endian) return undefined;
  const half = (at: number) =>
    endian === "little" ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
  const eMachine = half(18);
  return {
    bits,
    endian,
    type: TYPES[half(16)] ?? "other",
    machine: machineName(eMachine, bits, endian),
    eMachine,
  };
}

/** `7f 45 4c 46 ...` or `7f454c46...` (od output) → bytes; undefined on anything not hex. */
export function hexBytes(text: string): Uint8Array | undefined {
  const hex = text.replace(/\s+/g, "");
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

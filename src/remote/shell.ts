/**
 * The single place where values become remote shell text. Every value interpolated into a
 * `sh` template is single-quoted, so names, paths and rewrite strings with spaces, quotes,
 * `$()` or newlines reach the remote side literally. Quoting cannot stop a program reading an
 * operand that starts with `-` as an option: templates put `--` before data operands.
 */
const brand: unique symbol = Symbol("ShellCommand");

export interface ShellCommand {
  readonly [brand]: true;
  readonly text: string;
}

/** Raw shell text that is trusted because it is written in migrate's own source, not data. */
export interface ShellRaw {
  readonly raw: string;
}

export type ShellValue = string | number | ShellRaw | ShellCommand | readonly (string | number)[];

/** POSIX single-quote a value: 'it'\''s' — safe for any byte sequence except NUL. */
export function quote(value: string | number): string {
  const text = String(value);
  if (text.includes("\0")) throw new TypeError("a shell argument cannot contain a NUL byte");
  // Quoting a leading-dash value changes nothing for the program; it only makes such values
  // stand out in the audit log.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text) && !text.startsWith("-")) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function render(value: ShellValue): string {
  if (typeof value === "string" || typeof value === "number") return quote(value);
  if (Array.isArray(value)) return value.map((item) => quote(item)).join(" ");
  if ("raw" in (value as ShellRaw)) return (value as ShellRaw).raw;
  return (value as ShellCommand).text;
}

/** Tagged template: literal parts are trusted source text, every `${value}` is quoted. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand {
  let text = strings[0] ?? "";
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? "");
  });
  return { [brand]: true, text };
}

/** Mark source-written shell text (a constant script) as trusted. Never pass data here. */
export function raw(text: string): ShellRaw {
  return { raw: text };
}

/** Wrap a whole command for `sh -c` on a host that is reached through another shell. */
export function nested(command: ShellCommand): ShellCommand {
  return sh`sh -c ${command.text}`;
}

/**
 * A host's `become: sudo`: the command runs as root through sudo, the way Ansible's become
 * does. `-n` never prompts (a password prompt would hang a non-interactive run); the command
 * text reaches `sh -c` as one quoted argument.
 */
export function asRoot(command: ShellCommand): ShellCommand {
  return sh`sudo -n -- sh -c ${command.text}`;
}

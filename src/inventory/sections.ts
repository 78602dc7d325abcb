/** Split the inventory script's output into its sections (see script.ts for the markers). */
export interface Section {
  name: string;
  /** The text after the name on the marker line (a path, a port, a block size). */
  arg: string;
  body: string;
}

export function splitSections(output: string, nonce: string): Section[] {
  const sections: Section[] = [];
  const marker = `@@${nonce} `;
  let current: Section | undefined;
  let lines: string[] = [];
  const close = () => {
    if (current)
      sections.push({ ...current, body: lines.join("\n").replace(/\n+$/, "").replace(/^\n+/, "") });
  };
  for (const line of output.split("\n")) {
    if (line.startsWith(marker) && line.endsWith("@@")) {
      close();
      const header = line.slice(marker.length, -2);
      const space = header.indexOf(" ");
      current =
        space < 0
          ? { name: header, arg: "", body: "" }
          : { name: header.slice(0, space), arg: header.slice(space + 1), body: "" };
      lines = [];
    } else if (current) {
      lines.push(line);
    }
  }
  close();
  return sections;
}

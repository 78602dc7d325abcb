/**
 * Generated regions inside hand-written docs: the text between
 * `<!-- generated:NAME (npm run docs) -->` and `<!-- /generated:NAME -->` is owned by a
 * generator and rewritten by `npm run docs`; everything around it is prose people edit.
 */
const REGION = /<!-- generated:([a-z0-9-]+) \(npm run docs\) -->\n[\s\S]*?<!-- \/generated:\1 -->/g;

export type Generators = Readonly<Record<string, () => string>>;

export function regionNames(text: string): string[] {
  return [...text.matchAll(REGION)].map((match) => match[1]!);
}

/** The text with every region regenerated; an unknown region name is an error. */
export function fillRegions(text: string, generators: Generators): string {
  return text.replace(REGION, (_, name: string) => {
    const generate = generators[name];
    if (!generate) throw new Error(`no generator for region ${name}`);
    return `<!-- generated:${name} (npm run docs) -->\n${generate()}\n<!-- /generated:${name} -->`;
  });
}

/** Group workloads into waves (ascending), each in dependency order (pure). */
import { type Graph, topologicalOrder } from "./dag.ts";

export interface WaveMember {
  name: string;
  wave: number;
  dependsOn: readonly string[];
}

export interface WaveGroup<T extends WaveMember> {
  wave: number;
  members: T[];
}

export function groupWaves<T extends WaveMember>(members: readonly T[]): WaveGroup<T>[] {
  const byWave = new Map<number, T[]>();
  for (const member of members) {
    const list = byWave.get(member.wave);
    if (list) list.push(member);
    else byWave.set(member.wave, [member]);
  }
  return [...byWave.keys()]
    .sort((a, b) => a - b)
    .map((wave) => {
      const list = byWave.get(wave)!;
      const byName = new Map(list.map((m) => [m.name, m]));
      const graph: Graph = { nodes: list.map((m) => m.name), edges: (n) => byName.get(n)?.dependsOn ?? [] };
      return { wave, members: topologicalOrder(graph).map((n) => byName.get(n)!) };
    });
}

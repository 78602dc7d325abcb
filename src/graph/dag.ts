/**
 * Dependency graphs over named nodes (pure). Cycles are found with Tarjan's strongly connected
 * components and reported as a readable path `a -> b -> c -> a`; order is topological and stable
 * (ties keep the input order, so plans read the way they were written).
 */

export interface Graph {
  /** Nodes in input order. */
  nodes: readonly string[];
  /** Direct dependencies of a node (edges point from dependent to dependency). */
  edges(node: string): readonly string[];
}

/** Every strongly connected component with a cycle, each as a closed path starting at its earliest node. */
export function findCycles(graph: Graph): string[][] {
  const order = new Map(graph.nodes.map((n, i) => [n, i]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  // Iterative Tarjan: plans with thousands of workloads must not overflow the call stack.
  for (const root of graph.nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const deps = graph.edges(frame.node).filter((d) => order.has(d));
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        if (!index.has(dep)) {
          index.set(dep, counter);
          low.set(dep, counter++);
          stack.push(dep);
          onStack.add(dep);
          work.push({ node: dep, next: 0 });
        } else if (onStack.has(dep)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && graph.edges(frame.node).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components
    .map((component) => cyclePath(graph, component, order))
    .sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** A closed path through a strongly connected component, from its earliest node back to it. */
function cyclePath(graph: Graph, component: string[], order: Map<string, number>): string[] {
  const members = new Set(component);
  const start = [...component].sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
  // Breadth-first search for the shortest way back to start inside the component.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const dep of graph.edges(node)) {
      if (!members.has(dep)) continue;
      if (dep === start) {
        const path = [node];
        let cursor = node;
        while (cursor !== start) {
          cursor = previous.get(cursor)!;
          path.unshift(cursor);
        }
        return [...path, start];
      }
      if (!previous.has(dep)) {
        previous.set(dep, node);
        queue.push(dep);
      }
    }
  }
  return [start, start];
}

/** Dependencies before dependents, ties in input order. Nodes on cycles are appended last. */
export function topologicalOrder(graph: Graph): string[] {
  const known = new Set(graph.nodes);
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of graph.nodes) {
    const deps = [...new Set(graph.edges(node))].filter((d) => known.has(d) && d !== node);
    remaining.set(node, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(node);
      else dependents.set(dep, [node]);
    }
  }
  const position = new Map(graph.nodes.map((n, i) => [n, i]));
  const ready = new MinHeap<string>((a, b) => position.get(a)! - position.get(b)!);
  for (const node of graph.nodes) if (remaining.get(node) === 0) ready.push(node);
  const result: string[] = [];
  const done = new Set<string>();
  while (ready.size > 0) {
    const node = ready.pop()!;
    result.push(node);
    done.add(node);
    for (const dependent of dependents.get(node) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  for (const node of graph.nodes) if (!done.has(node)) result.push(node);
  return result;
}

/** Binary heap keeping the earliest-written ready node first, so ordering stays O(n log n). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.compare(items[left]!, items[smallest]!) < 0) smallest = left;
        if (right < items.length && this.compare(items[right]!, items[smallest]!) < 0) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

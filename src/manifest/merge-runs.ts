/** A source's next record in the heap. */
interface Head<T> {
  value: T;
  key: string;
  source: number;
}

/**
 * k-way merge of an external sort's runs (sorted-file.ts) through a binary heap (scanning every
 * head per record cost more than parsing them, with a hundred runs); of equal keys the one from
 * the latest source wins.
 */
export async function* mergeRuns<T>(
  sources: AsyncGenerator<T>[],
  key: (record: T) => string,
  compare: (a: string, b: string) => number,
): AsyncGenerator<T> {
  const before = (a: Head<T>, b: Head<T>) => {
    const order = compare(a.key, b.key);
    return order < 0 || (order === 0 && a.source > b.source);
  };
  const heap: Head<T>[] = [];
  const push = (head: Head<T>) => {
    let index = heap.push(head) - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  };
  const pop = (): Head<T> => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        let best = index;
        if (left < heap.length && before(heap[left]!, heap[best]!)) best = left;
        if (left + 1 < heap.length && before(heap[left + 1]!, heap[best]!)) best = left + 1;
        if (best === index) break;
        [heap[index], heap[best]] = [heap[best]!, heap[index]!];
        index = best;
      }
    }
    return top;
  };
  const advance = async (source: number) => {
    const next = await sources[source]!.next();
    if (!next.done) push({ value: next.value, key: key(next.value), source });
  };
  await Promise.all(sources.map((_, source) => advance(source)));
  while (heap.length > 0) {
    const chosen = pop();
    // The same key in earlier runs: older records of it, dropped.
    while (heap.length > 0 && compare(heap[0]!.key, chosen.key) === 0) await advance(pop().source);
    await advance(chosen.source);
    yield chosen.value;
  }
}

/**
 * A string-keyed map that forgets everything once it holds `max` entries: a cache whose values are
 * computed by the caller (from more than the key, e.g. the bytes the key was read from).
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * A string-keyed memo that forgets everything once it holds `max` entries: the codecs see the same
 * texts again and again (matches dumped every sync, actions shared by many flows), and a bound keeps
 * a long-running agent's memory flat.
 */
export function boundedMemo<V>(max: number, compute: (key: string) => V): (key: string) => V {
  const cache = new BoundedMap<V>(max);
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}

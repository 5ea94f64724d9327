/**
 * A string-keyed memo that forgets everything once it holds `max` entries: the codecs see the same
 * texts again and again (matches dumped every sync, actions shared by many flows), and a bound keeps
 * a long-running agent's memory flat.
 */
export function boundedMemo<V>(max: number, compute: (key: string) => V): (key: string) => V {
  const cache = new Map<string, V>();
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    if (cache.size >= max) cache.clear();
    cache.set(key, value);
    return value;
  };
}

/**
 * A string-keyed cache in two generations of at most `max` entries each:
 * when the current one is full it becomes the old one (the previous old one
 * is dropped) and a new one starts; a hit in the old generation is carried
 * into the current one. What is used keeps being found, what has not been
 * used for a generation is forgotten, and memory stays within 2 x `max`
 * entries however long the agent runs and however many namespaces come and
 * go (each brings new MACs and so new flow texts). Values are computed by
 * the caller (from more than the key, e.g. the bytes the key was read from).
 */
export class BoundedMap<V> {
  private current = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly max: number) {
    registerMemo(this);
  }

  /** Forgets everything (the memo fills again as it is used). */
  clear(): void {
    this.current = new Map();
    this.old = new Map();
  }

  get(key: string): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    if (this.current.size >= this.max) {
      this.old = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  /** Entries held (both generations; a key carried over may count twice). */
  get size(): number {
    return this.current.size + this.old.size;
  }
}

/**
 * A string-keyed memo over a BoundedMap: the codecs see the same texts again
 * and again (matches dumped every sync, actions shared by many flows).
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

/** Memos forgetMemos() clears, held weakly: a memo that is itself collected drops out. */
const memos = new Set<WeakRef<{ clear(): void }>>();

/** Registers a memo for forgetMemos(); it must stay referenced by its owner (a module, an object) to be cleared. */
export function registerMemo(memo: { clear(): void }): void {
  memos.add(new WeakRef(memo));
}

/**
 * Clears every memo of the process: once a burst is over, what the memos hold for flows and namespaces
 * that may be gone is given back with the rest of the burst's garbage (src/observe/heap-settle.ts); the
 * memos that are still useful fill again on the next pass, at the cost of working their values out once.
 */
export function forgetMemos(): void {
  for (const ref of memos) {
    const m = ref.deref();
    if (m === undefined) memos.delete(ref);
    else m.clear();
  }
}

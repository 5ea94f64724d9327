/**
 * An immutable string-keyed map with structural sharing (a hash array mapped
 * trie, as Clojure's and Immutable.js's maps): set and delete return a new map
 * that shares all but O(log32 n) nodes with the old one, so a one-row update of
 * a 50k-row table costs about as much as of a 1k-row one, and every snapshot a
 * reader holds stays valid. A builder mutates the nodes it created itself in
 * place, so a batch (an initial load of 50k rows) costs little more than a Map.
 * Iteration order is the hash order, not insertion order.
 */

const BITS = 5;
const MASK = 31;

interface Leaf<V> {
  readonly k: string;
  readonly h: number;
  readonly v: V;
}

/** Nodes carry the edit token of the builder that created them: only that builder may mutate them. */
class Branch<V> {
  constructor(
    public edit: object | null,
    public bitmap: number,
    public slots: Slot<V>[],
  ) {}
}

/** Keys whose 32-bit hashes are equal. */
class Collision<V> {
  constructor(
    public edit: object | null,
    readonly h: number,
    public leaves: Leaf<V>[],
  ) {}
}

type Slot<V> = Leaf<V> | Branch<V> | Collision<V>;

function hashOf(key: string): number {
  // FNV-1a over UTF-16 code units, then a final avalanche (keys are often uuids, already random).
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function isLeaf<V>(s: Slot<V>): s is Leaf<V> {
  return !(s instanceof Branch) && !(s instanceof Collision);
}

interface Ctx {
  /** +1 when a key was added, -1 when one was removed. */
  delta: number;
}

function ownBranch<V>(n: Branch<V>, edit: object | null): Branch<V> {
  return edit !== null && n.edit === edit ? n : new Branch(edit, n.bitmap, n.slots.slice());
}

/** A branch holding two slots with different hashes (or a collision when the hashes are equal). */
function join<V>(a: Leaf<V> | Collision<V>, b: Leaf<V>, shift: number, edit: object | null): Slot<V> {
  const ha = a.h;
  if (ha === b.h) {
    if (a instanceof Collision) return new Collision(edit, ha, [...a.leaves, b]);
    return new Collision(edit, ha, [a, b]);
  }
  const ia = (ha >>> shift) & MASK;
  const ib = (b.h >>> shift) & MASK;
  if (ia === ib) return new Branch(edit, 1 << ia, [join(a, b, shift + BITS, edit)]);
  return new Branch(edit, (1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a]);
}

function setIn<V>(node: Branch<V>, shift: number, leaf: Leaf<V>, edit: object | null, ctx: Ctx): Branch<V> {
  const bit = 1 << ((leaf.h >>> shift) & MASK);
  const idx = popcount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) === 0) {
    ctx.delta = 1;
    const n = ownBranch(node, edit);
    n.slots.splice(idx, 0, leaf);
    n.bitmap |= bit;
    return n;
  }
  const slot = node.slots[idx]!;
  let next: Slot<V>;
  if (slot instanceof Branch) {
    next = setIn(slot, shift + BITS, leaf, edit, ctx);
  } else if (slot instanceof Collision) {
    if (slot.h !== leaf.h) {
      ctx.delta = 1;
      next = join(slot, leaf, shift + BITS, edit);
    } else {
      const i = slot.leaves.findIndex((l) => l.k === leaf.k);
      if (i >= 0 && slot.leaves[i]!.v === leaf.v) return node;
      const leaves = slot.leaves.slice();
      if (i >= 0) leaves[i] = leaf;
      else {
        leaves.push(leaf);
        ctx.delta = 1;
      }
      next = new Collision(edit, slot.h, leaves);
    }
  } else if (slot.k === leaf.k) {
    if (slot.v === leaf.v) return node;
    next = leaf;
  } else {
    ctx.delta = 1;
    next = join(slot, leaf, shift + BITS, edit);
  }
  if (next === slot) return node;
  const n = ownBranch(node, edit);
  n.slots[idx] = next;
  return n;
}

/** Returns the node without the key: the same node if absent, undefined if it became empty, a leaf if one is left. */
function deleteIn<V>(node: Branch<V>, shift: number, h: number, k: string, edit: object | null, ctx: Ctx): Slot<V> | undefined {
  const bit = 1 << ((h >>> shift) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const idx = popcount(node.bitmap & (bit - 1));
  const slot = node.slots[idx]!;
  let next: Slot<V> | undefined;
  if (slot instanceof Branch) {
    next = deleteIn(slot, shift + BITS, h, k, edit, ctx);
  } else if (slot instanceof Collision) {
    const i = slot.h === h ? slot.leaves.findIndex((l) => l.k === k) : -1;
    if (i < 0) return node;
    ctx.delta = -1;
    const leaves = slot.leaves.filter((_, j) => j !== i);
    next = leaves.length === 1 ? leaves[0] : new Collision(edit, slot.h, leaves);
  } else {
    if (slot.k !== k) return node;
    ctx.delta = -1;
    next = undefined;
  }
  if (next === slot) return node;
  if (next === undefined) {
    if (node.slots.length === 1) return undefined;
    if (node.slots.length === 2 && shift > 0) {
      const other = node.slots[1 - idx]!;
      if (!(other instanceof Branch)) return other; // collapse: a branch of one leaf is that leaf
    }
    const n = ownBranch(node, edit);
    n.slots.splice(idx, 1);
    n.bitmap &= ~bit;
    return n;
  }
  if (node.slots.length === 1 && shift > 0 && !(next instanceof Branch)) return next;
  const n = ownBranch(node, edit);
  n.slots[idx] = next;
  return n;
}

function getIn<V>(node: Branch<V>, h: number, k: string): Leaf<V> | undefined {
  let n: Branch<V> = node;
  for (let shift = 0; ; shift += BITS) {
    const bit = 1 << ((h >>> shift) & MASK);
    if ((n.bitmap & bit) === 0) return undefined;
    const slot = n.slots[popcount(n.bitmap & (bit - 1))]!;
    if (slot instanceof Branch) {
      n = slot;
      continue;
    }
    if (slot instanceof Collision) return slot.h === h ? slot.leaves.find((l) => l.k === k) : undefined;
    return slot.k === k ? slot : undefined;
  }
}

function* leavesOf<V>(node: Slot<V>): Generator<Leaf<V>> {
  if (node instanceof Branch) {
    for (const s of node.slots) {
      if (isLeaf(s)) yield s;
      else yield* leavesOf(s);
    }
  } else if (node instanceof Collision) yield* node.leaves;
  else yield node;
}

/** The root after a delete: deletes never collapse the root, so it is a branch or empty. */
function asRoot<V>(slot: Slot<V> | undefined, edit: object | null): Branch<V> {
  if (slot instanceof Branch) return slot;
  if (slot === undefined) return new Branch(edit, 0, []);
  return new Branch(edit, 1 << (slot.h & MASK), [slot]);
}

export class PersistentMap<V> implements ReadonlyMap<string, V> {
  private static readonly EMPTY = new PersistentMap<never>(new Branch(null, 0, []), 0);

  private constructor(
    private readonly root: Branch<V>,
    readonly size: number,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as unknown as PersistentMap<V>;
  }

  static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    const b = PersistentMap.empty<V>().builder();
    for (const [k, v] of entries) b.set(k, v);
    return b.build();
  }

  get(key: string): V | undefined {
    return getIn(this.root, hashOf(key), key)?.v;
  }

  has(key: string): boolean {
    return getIn(this.root, hashOf(key), key) !== undefined;
  }

  set(key: string, value: V): PersistentMap<V> {
    const ctx: Ctx = { delta: 0 };
    const root = setIn(this.root, 0, { k: key, h: hashOf(key), v: value }, null, ctx);
    return root === this.root ? this : new PersistentMap(root, this.size + ctx.delta);
  }

  delete(key: string): PersistentMap<V> {
    const ctx: Ctx = { delta: 0 };
    const slot = deleteIn(this.root, 0, hashOf(key), key, null, ctx);
    return slot === this.root ? this : new PersistentMap(asRoot(slot, null), this.size + ctx.delta);
  }

  /** A builder starting from this map; the map itself never changes. */
  builder(): PersistentMapBuilder<V> {
    return new PersistentMapBuilder(this.root, this.size, (root, size) => new PersistentMap(root, size));
  }

  *entries(): MapIterator<[string, V]> {
    for (const l of leavesOf(this.root)) yield [l.k, l.v];
  }

  *keys(): MapIterator<string> {
    for (const l of leavesOf(this.root)) yield l.k;
  }

  *values(): MapIterator<V> {
    for (const l of leavesOf(this.root)) yield l.v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(f: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const l of leavesOf(this.root)) f.call(thisArg, l.v, l.k, this);
  }

  get [Symbol.toStringTag](): string {
    return 'PersistentMap';
  }
}

/** Batches changes: nodes it created are mutated in place; build() seals them. */
export class PersistentMapBuilder<V> {
  private edit: object = {};
  private readonly ctx: Ctx = { delta: 0 };

  constructor(
    private root: Branch<V>,
    private count: number,
    private readonly make: (root: Branch<V>, size: number) => PersistentMap<V>,
  ) {}

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return getIn(this.root, hashOf(key), key)?.v;
  }

  set(key: string, value: V): this {
    const ctx = this.ctx;
    ctx.delta = 0;
    this.root = setIn(this.root, 0, { k: key, h: hashOf(key), v: value }, this.edit, ctx);
    this.count += ctx.delta;
    return this;
  }

  delete(key: string): this {
    const ctx: Ctx = { delta: 0 };
    this.root = asRoot(deleteIn(this.root, 0, hashOf(key), key, this.edit, ctx), this.edit);
    this.count += ctx.delta;
    return this;
  }

  /** The map as it is now; later changes through this builder copy the nodes they touch again. */
  build(): PersistentMap<V> {
    this.edit = {};
    return this.make(this.root, this.count);
  }
}

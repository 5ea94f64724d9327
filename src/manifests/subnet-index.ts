/** What a subnet index holds: a tenant's entry, marked when its file is removed. */
export interface Removable {
  readonly removed: boolean;
}

/**
 * One address family's subnets in force, indexed by prefix so an overlap check costs one lookup per
 * prefix length, whatever the number of tenants. Two subnets overlap when one is a prefix of the
 * other. `keyAt(len)` is the key of the subnet's network cut to `len` bits (the family's own key).
 */
export class SubnetIndex<K, R extends Removable> {
  /** Subnets in force by canonical key. */
  private readonly exact = new Map<K, R>();
  /**
   * Every shorter prefix of a subnet in force → the entries whose subnet lies inside it. Arrays with
   * lazy deletion: appending is cheap (24 entries per /24 tenant), and removal is rare.
   */
  private readonly inside = new Map<K, R[]>();

  /** An entry whose subnet contains the subnet of `prefixLen` bits, or lies inside it. */
  overlap(keyAt: (len: number) => K, prefixLen: number): R | undefined {
    let over: R | undefined;
    for (let len = 0; len <= prefixLen && !over; len++) over = this.exact.get(keyAt(len));
    return over ?? this.liveFirst(keyAt(prefixLen));
  }

  add(keyAt: (len: number) => K, prefixLen: number, ref: R): void {
    this.exact.set(keyAt(prefixLen), ref);
    for (let len = 0; len < prefixLen; len++) {
      const key = keyAt(len);
      const list = this.inside.get(key);
      if (list) list.push(ref);
      else this.inside.set(key, [ref]);
    }
  }

  /** Drops `ref`'s exact entry; its `inside` entries go lazily once it is marked removed. */
  remove(key: K, ref: R): void {
    if (this.exact.get(key) === ref) this.exact.delete(key);
  }

  /** The first live entry of an `inside` list, dropping removed ones lazily. */
  private liveFirst(key: K): R | undefined {
    const list = this.inside.get(key);
    if (!list) return undefined;
    if (list[0]?.removed) {
      const live = list.filter((r) => !r.removed);
      if (live.length === 0) this.inside.delete(key);
      else this.inside.set(key, live);
      return live[0];
    }
    return list[0];
  }
}

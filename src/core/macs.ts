import { macFor } from './names.js';

/** Candidate `attempt` (0, 1, 2, …) of a namespace key's MAC; injectable so collisions can be tested. */
export type MacDeriver = (nsKey: string, attempt: number) => string;

/** Candidates tried per namespace before giving up (with 40 random bits, attempt 1 practically always does). */
export const MAX_MAC_ATTEMPTS = 64;

/** What is known of a namespace's MAC before this pass. */
export interface MacClaim {
  /** The MAC recorded on its owned port (OVSDB external_ids). */
  readonly recorded?: string | undefined;
  /** The MAC the agent gave it last pass (kept when its record vanished under a running agent). */
  readonly remembered?: string | undefined;
}

export interface MacAssignment {
  readonly mac: string;
  readonly source: 'recorded' | 'remembered' | 'derived';
  /** Which candidate it is when derived (0 = the key's own); 0 otherwise. */
  readonly attempt: number;
}

export interface MacAllocation {
  readonly assigned: ReadonlyMap<string, MacAssignment>;
  /** Keys left without a MAC: every candidate was in use. */
  readonly exhausted: readonly string[];
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** A MAC a workload port may carry: canonical lower-case text, unicast, not all zeros. */
export function isAssignableMac(mac: string): boolean {
  return MAC.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== '00:00:00:00:00:00';
}

/**
 * MACs unique on the bridge by construction. `inUse` holds every MAC the
 * bridge's ports carry now (the owned ports' records, whatever becomes of
 * them this pass). In order:
 * 1. a recorded MAC stays with its namespace (a restart changes nothing);
 *    if two namespaces record the same one (a collision left by an older
 *    agent), the lower key keeps it and the other gets a new one;
 * 2. a remembered MAC is kept if nobody uses it;
 * 3. the rest take derived candidates in rounds: every key tries its
 *    candidate 0, then the unlucky ones candidate 1, and so on, skipping
 *    anything in use or already given.
 * Keys are handled in sorted order, so the result depends only on the
 * inputs, never on their order.
 */
export function assignMacs(
  claims: ReadonlyMap<string, MacClaim>,
  inUse: Iterable<string>,
  derive: MacDeriver = macFor,
  maxAttempts = MAX_MAC_ATTEMPTS,
): MacAllocation {
  const keys = [...claims.keys()].sort();
  const taken = new Set<string>();
  for (const m of inUse) taken.add(m.toLowerCase());
  const given = new Set<string>();
  const assigned = new Map<string, MacAssignment>();
  const give = (key: string, a: MacAssignment): void => {
    assigned.set(key, a);
    given.add(a.mac);
  };

  for (const key of keys) {
    const mac = claims.get(key)?.recorded;
    if (mac !== undefined && isAssignableMac(mac) && !given.has(mac)) give(key, { mac, source: 'recorded', attempt: 0 });
  }
  for (const key of keys) {
    const mac = claims.get(key)?.remembered;
    if (assigned.has(key) || mac === undefined || !isAssignableMac(mac) || given.has(mac) || taken.has(mac)) continue;
    give(key, { mac, source: 'remembered', attempt: 0 });
  }
  let pending = keys.filter((k) => !assigned.has(k));
  for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
    const left: string[] = [];
    for (const key of pending) {
      const mac = derive(key, attempt).toLowerCase();
      if (isAssignableMac(mac) && !taken.has(mac) && !given.has(mac)) give(key, { mac, source: 'derived', attempt });
      else left.push(key);
    }
    pending = left;
  }
  return { assigned, exhausted: pending };
}

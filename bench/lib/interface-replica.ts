/** One OVSDB Interface row as the bench watches it. */
export interface InterfaceRow {
  readonly uuid: string;
  readonly name: string;
  /** Unset until ovs-vswitchd has attached the interface (or -1 on failure). */
  readonly ofport: number | undefined;
  readonly externalIds: Readonly<Record<string, string>>;
}

/** The Interface table mirrored from `ovsdb-client --format=json monitor` lines. */
export type InterfaceReplica = Map<string, InterfaceRow>;

/** The columns the monitor must be asked for, in this order. */
export const MONITORED_COLUMNS = ['name', 'ofport', 'external_ids'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function atomOrEmptySet(v: Json | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function parseMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(v) || v[0] !== 'map' || !Array.isArray(v[1])) return out;
  for (const pair of v[1]) {
    if (Array.isArray(pair) && typeof pair[0] === 'string') out[pair[0]] = String(pair[1]);
  }
  return out;
}

/**
 * Applies one line of `ovsdb-client --format=json monitor DB Interface
 * name,ofport,external_ids` to the replica. The tool prints each update as a
 * table with headings [row, action, ...columns]; an "old" entry is followed
 * by a "new" entry whose row id is empty and refers back to it.
 * Returns false for lines that are not updates.
 */
export function applyMonitorLine(replica: InterfaceReplica, line: string): boolean {
  let msg: Json;
  try {
    msg = JSON.parse(line) as Json;
  } catch {
    return false;
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return false;
  const headings = msg.headings;
  const data = msg.data;
  if (!Array.isArray(headings) || !Array.isArray(data)) return false;
  const col = (name: string): number => headings.indexOf(name);
  const [iRow, iAction, iName, iOfport, iExt] = [col('row'), col('action'), col('name'), col('ofport'), col('external_ids')];
  if (iRow < 0 || iAction < 0) return false;
  let lastUuid = '';
  for (const entry of data) {
    if (!Array.isArray(entry)) continue;
    const rowId = typeof entry[iRow] === 'string' ? (entry[iRow] as string) : '';
    const uuid = rowId === '' ? lastUuid : rowId;
    lastUuid = uuid;
    const action = entry[iAction];
    if (action === 'delete') {
      replica.delete(uuid);
    } else if (action === 'initial' || action === 'insert' || action === 'new') {
      replica.set(uuid, {
        uuid,
        name: typeof entry[iName] === 'string' ? (entry[iName] as string) : '',
        ofport: atomOrEmptySet(entry[iOfport]),
        externalIds: parseMap(entry[iExt]),
      });
    }
  }
  return true;
}

/** Interfaces attached to a datapath port (ofport > 0), bridge-internal ones included. */
export function countWithOfport(replica: InterfaceReplica, filter: (row: InterfaceRow) => boolean = () => true): number {
  let n = 0;
  for (const row of replica.values()) if (row.ofport !== undefined && row.ofport > 0 && filter(row)) n++;
  return n;
}

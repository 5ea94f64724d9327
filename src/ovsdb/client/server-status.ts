/**
 * What `_Server`'s Database table says about one member: the client chooses
 * a member from it (as the python IDL and libovsdb do) so a member without
 * quorum, a follower (in leader-only mode) or one behind what we already saw
 * is left for another.
 */
export interface DatabaseStatus {
  readonly name: string;
  /** standalone, clustered, relay (older servers: standalone or clustered). */
  readonly model: string;
  /** Clustered: the member is in the cluster and has a leader (it has quorum). */
  readonly connected: boolean;
  readonly leader: boolean;
  /** Clustered: the raft index this member has applied. */
  readonly index: number | undefined;
}

export const SERVER_DB = '_Server';
export const SERVER_MONITOR_ID = 'nsvs-server-status';
export const SERVER_COLUMNS = ['name', 'model', 'connected', 'leader', 'index'] as const;

function scalar(v: unknown): unknown {
  // Optional columns arrive as ["set", []] when empty, as the bare atom otherwise.
  if (Array.isArray(v) && v[0] === 'set') return Array.isArray(v[1]) && v[1].length > 0 ? v[1][0] : undefined;
  return v;
}

/** One `_Server.Database` wire row (monitor v1 "new" or select result); undefined if it does not look like one. */
export function parseDatabaseStatus(row: unknown): DatabaseStatus | undefined {
  if (typeof row !== 'object' || row === null) return undefined;
  const r = row as Record<string, unknown>;
  const name = scalar(r.name);
  if (typeof name !== 'string') return undefined;
  const index = scalar(r.index);
  return {
    name,
    model: typeof scalar(r.model) === 'string' ? (scalar(r.model) as string) : 'standalone',
    connected: scalar(r.connected) !== false,
    leader: scalar(r.leader) !== false,
    index: typeof index === 'number' ? index : typeof index === 'bigint' ? Number(index) : undefined,
  };
}

export interface MemberChoice {
  /** Databases whose row decides; default: every clustered database of the member. */
  readonly databases?: readonly string[];
  readonly leaderOnly: boolean;
}

/**
 * Why this member must not be used, or undefined when it is fine. `seenIndex`
 * holds the highest index seen per database (on any member) and is raised here.
 */
export function memberProblem(rows: readonly DatabaseStatus[], choice: MemberChoice, seenIndex: Map<string, number>): string | undefined {
  const relevant = choice.databases ? rows.filter((r) => choice.databases!.includes(r.name)) : rows.filter((r) => r.model === 'clustered');
  for (const r of relevant) {
    if (r.model !== 'clustered') continue;
    if (!r.connected) return `database ${r.name}: member not connected to its cluster (no quorum or still joining)`;
    if (choice.leaderOnly && !r.leader) return `database ${r.name}: member is not the leader (leader-only mode)`;
    const seen = seenIndex.get(r.name);
    if (r.index !== undefined && seen !== undefined && r.index < seen) return `database ${r.name}: member is behind (index ${r.index} < ${seen} seen before)`;
  }
  for (const r of relevant) if (r.index !== undefined && r.index > (seenIndex.get(r.name) ?? -1)) seenIndex.set(r.name, r.index);
  return undefined;
}

/** bash's $EPOCHREALTIME ("1700000000.123456", C locale) as milliseconds. */
export function epochRealtimeMs(text: string): number {
  const m = /^(\d+)\.(\d{1,6})$/.exec(text.trim());
  if (!m) throw new Error(`not an EPOCHREALTIME stamp: ${JSON.stringify(text)}`);
  return Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(6, '0')) / 1000;
}

export interface PeerStamps {
  readonly startMs: number;
  /** Completion stamp of each add-port, in order. */
  readonly doneMs: readonly number[];
  /** Entries found under /var/run/netns when the loop ended (must be none). */
  readonly leftovers: readonly string[];
}

/** Parses the loop driver's "start T" / "done T" / "leftover NAME" lines. */
export function parsePeerStamps(stdout: string): PeerStamps {
  let startMs: number | undefined;
  const doneMs: number[] = [];
  const leftovers: string[] = [];
  for (const line of stdout.split('\n')) {
    const [kind, ...rest] = line.trim().split(' ');
    const value = rest.join(' ');
    if (kind === 'start') startMs = epochRealtimeMs(value);
    else if (kind === 'done') doneMs.push(epochRealtimeMs(value));
    else if (kind === 'leftover' && value !== '') leftovers.push(value);
  }
  if (startMs === undefined) throw new Error('peer loop printed no start stamp');
  return { startMs, doneMs, leftovers };
}

/** What a throttled event should do: log now (with how many were held back since the last log), or only count. */
export interface ThrottleDecision {
  readonly log: boolean;
  /** Events of this key not logged since the last logged one (0 on the first). */
  readonly suppressed: number;
}

interface KeyState {
  lastLoggedAt: number;
  suppressed: number;
}

/**
 * Rate limit for log lines about things a server can repeat at will (replies
 * with unknown ids, bad rows, reconnects): the first event of a key is logged,
 * later ones within `windowMs` are only counted, and the next one after the
 * window is logged with that count. Keys beyond `maxKeys` share one state, so
 * a server inventing keys cannot grow the table.
 */
export class LogThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  hit(key = ''): ThrottleDecision {
    const k = this.keys.has(key) || this.keys.size < this.maxKeys ? key : '\u0000overflow';
    const t = this.now();
    const s = this.keys.get(k);
    if (!s) {
      this.keys.set(k, { lastLoggedAt: t, suppressed: 0 });
      return { log: true, suppressed: 0 };
    }
    if (t - s.lastLoggedAt >= this.windowMs) {
      const suppressed = s.suppressed;
      s.lastLoggedAt = t;
      s.suppressed = 0;
      return { log: true, suppressed };
    }
    s.suppressed++;
    return { log: false, suppressed: s.suppressed };
  }
}

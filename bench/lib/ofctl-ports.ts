/** One direction of an OpenFlow port's counters; undefined where the switch reports `?`. */
export interface PortDirection {
  readonly pkts?: number;
  readonly bytes?: number;
  readonly drop?: number;
  readonly errs?: number;
}

export interface PortCounters {
  readonly rx: PortDirection;
  readonly tx: PortDirection;
}

function counters(fields: string): PortDirection {
  const out: Record<string, number> = {};
  for (const m of fields.matchAll(/\b(pkts|bytes|drop|errs)=(\d+)/g)) out[m[1] as string] = Number(m[2]);
  return out;
}

/**
 * Parses `ovs-ofctl dump-ports BRIDGE` (any OpenFlow version): per port
 * (number or LOCAL), its rx and tx counters. A `port N:` line carries rx,
 * the next `tx` line belongs to the same port.
 */
export function parseDumpPorts(text: string): Map<string, PortCounters> {
  const out = new Map<string, PortCounters>();
  let port: string | undefined;
  let rx: PortDirection = {};
  for (const line of text.split('\n')) {
    const head = /^\s*port\s+"?([^":\s]+)"?:\s*rx\s+(.*)$/.exec(line);
    if (head) {
      port = head[1] as string;
      rx = counters(head[2] as string);
      out.set(port, { rx, tx: {} });
      continue;
    }
    const tx = /^\s*tx\s+(.*)$/.exec(line);
    if (tx && port !== undefined) out.set(port, { rx, tx: counters(tx[1] as string) });
  }
  return out;
}

/** Packets dropped (rx + tx) between two dumps, over every port but LOCAL; undefined when no port has both figures. */
export function droppedBetween(before: ReadonlyMap<string, PortCounters>, after: ReadonlyMap<string, PortCounters>): number | undefined {
  let total: number | undefined;
  for (const [port, a] of after) {
    if (port === 'LOCAL') continue;
    const b = before.get(port);
    if (!b) continue;
    for (const dir of ['rx', 'tx'] as const) {
      const x = a[dir].drop;
      const y = b[dir].drop;
      if (x !== undefined && y !== undefined) total = (total ?? 0) + (x - y);
    }
  }
  return total;
}

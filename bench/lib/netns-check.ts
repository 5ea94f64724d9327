import { run } from '../../src/exec/run.js';

interface IpAddrInfo {
  readonly ifname?: string;
  readonly flags?: readonly string[];
  readonly operstate?: string;
  readonly address?: string;
  readonly mtu?: number;
  readonly addr_info?: readonly { family?: string; local?: string; prefixlen?: number }[];
}

/** What one namespace's workload interface looks like from the inside. */
export interface NsInterfaceState {
  readonly up: boolean;
  readonly mac: string | undefined;
  readonly mtu: number | undefined;
  readonly ipv4: readonly string[];
}

/** Reads `ip -j addr show dev IF` inside the namespace; undefined when the interface is missing. */
export async function readNsInterface(nsPath: string, ifName: string): Promise<NsInterfaceState | undefined> {
  const r = await run('ip', ['-j', 'addr', 'show', 'dev', ifName], { netns: nsPath, okExitCodes: [1] });
  if (r.exitCode !== 0) return undefined;
  return parseIpAddrJson(r.stdout);
}

/** Pure part of readNsInterface, for unit tests. */
export function parseIpAddrJson(text: string): NsInterfaceState | undefined {
  const list = JSON.parse(text) as IpAddrInfo[];
  const info = list[0];
  if (!info) return undefined;
  return {
    up: (info.flags ?? []).includes('UP'),
    mac: info.address,
    mtu: info.mtu,
    ipv4: (info.addr_info ?? []).filter((a) => a.family === 'inet' && a.local !== undefined).map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** Problems found with one plugged namespace (empty = fine), each naming the namespace. */
export function interfaceProblems(nsPath: string, ifName: string, state: NsInterfaceState | undefined, expect: { ipv4?: string; mac?: string; mtu?: number }): string[] {
  if (!state) return [`namespace ${nsPath}: no interface ${ifName}`];
  const out: string[] = [];
  if (!state.up) out.push(`namespace ${nsPath}: ${ifName} is not up`);
  if (expect.ipv4 !== undefined && !state.ipv4.includes(expect.ipv4)) out.push(`namespace ${nsPath}: ${ifName} lacks ${expect.ipv4} (has ${state.ipv4.join(', ') || 'none'})`);
  if (expect.ipv4 === undefined && state.ipv4.length === 0) out.push(`namespace ${nsPath}: ${ifName} has no IPv4 address`);
  if (expect.mac !== undefined && state.mac !== expect.mac) out.push(`namespace ${nsPath}: ${ifName} has MAC ${state.mac}, expected ${expect.mac}`);
  if (expect.mtu !== undefined && state.mtu !== expect.mtu) out.push(`namespace ${nsPath}: ${ifName} has MTU ${state.mtu}, expected ${expect.mtu}`);
  return out;
}

/** A few indices spread over 0..n-1 (first, last, and evenly between), for spot checks. */
export function spotIndices(n: number, count = 5): number[] {
  if (n <= 0) return [];
  const set = new Set<number>([0, n - 1]);
  for (let k = 1; k < count - 1; k++) set.add(Math.floor((k * (n - 1)) / (count - 1)));
  return [...set].sort((a, b) => a - b);
}

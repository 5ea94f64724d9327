import type { HostLink } from './types.js';

interface IpLinkJson {
  readonly ifindex?: unknown;
  readonly ifname?: unknown;
  readonly flags?: unknown;
  readonly mtu?: unknown;
}

/** Parses `ip -j link show` output into the links whose names start with `prefix`. */
export function parseHostLinks(json: string, prefix: string): Map<string, HostLink> {
  const out = new Map<string, HostLink>();
  const text = json.trim();
  if (text === '') return out;
  const rows: unknown = JSON.parse(text);
  if (!Array.isArray(rows)) throw new TypeError('ip -j link show: expected a JSON array');
  for (const row of rows as IpLinkJson[]) {
    if (typeof row.ifname !== 'string' || !row.ifname.startsWith(prefix)) continue;
    const flags = Array.isArray(row.flags) ? (row.flags as unknown[]) : [];
    out.set(row.ifname, {
      name: row.ifname,
      ifindex: typeof row.ifindex === 'number' ? row.ifindex : -1,
      mtu: typeof row.mtu === 'number' ? row.mtu : 0,
      up: flags.includes('UP'),
    });
  }
  return out;
}

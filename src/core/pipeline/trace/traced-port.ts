import { basename } from 'node:path';
import { ExternalIds } from '../../ownership.js';

/** One of our ports as `nsvswitch trace` sees it in OVSDB (Interface row + our external_ids). */
export interface TracedPort {
  readonly name: string;
  readonly ofport: number;
  readonly netns: string;
  readonly ip: string;
  readonly mac: string;
  readonly tenant: string;
  readonly tenantId: number;
  /** The tenant's gateway port (the host's side of the tenant; no namespace). */
  readonly gateway?: true;
  /** Prefix length of the recorded address (the tenant subnet's). */
  readonly prefixLen?: number;
  /** The runtime workload's name (a Docker container), when the port is one's. */
  readonly workload?: string;
}

type OvsdbJson = string | number | boolean | [string, unknown];

/**
 * Reads `ovs-vsctl --format=json --columns=name,ofport,external_ids find
 * Interface ...` output. Rows lacking an ip or mac (not plugged yet) are skipped.
 */
export function parseTracedPorts(json: string): TracedPort[] {
  const doc = JSON.parse(json) as { headings: string[]; data: OvsdbJson[][] };
  const col = (name: string) => doc.headings.indexOf(name);
  const [iName, iOfport, iIds] = [col('name'), col('ofport'), col('external_ids')];
  const ports: TracedPort[] = [];
  for (const row of doc.data) {
    const ids = new Map<string, string>();
    const raw = row[iIds];
    if (Array.isArray(raw) && raw[0] === 'map') for (const [k, v] of raw[1] as [string, string][]) ids.set(k, v);
    const ofportRaw = row[iOfport];
    const ofport = typeof ofportRaw === 'number' ? ofportRaw : -1;
    const [ip = '', prefix] = (ids.get(ExternalIds.ip) ?? '').split('/');
    const mac = (ids.get(ExternalIds.mac) ?? ids.get(ExternalIds.attachedMac) ?? '').toLowerCase();
    if (!ip || !mac) continue;
    ports.push({
      name: String(row[iName]),
      ofport,
      netns: ids.get(ExternalIds.netns) ?? '',
      ip,
      mac,
      tenant: ids.get(ExternalIds.tenant) ?? '',
      tenantId: Number(ids.get(ExternalIds.tenantId) ?? 0),
      ...(ids.get(ExternalIds.role) === 'gateway' ? { gateway: true as const } : {}),
      ...(prefix !== undefined && /^\d+$/.test(prefix) ? { prefixLen: Number(prefix) } : {}),
      ...(ids.get(ExternalIds.workload) ? { workload: ids.get(ExternalIds.workload) } : {}),
    });
  }
  return ports;
}

/** Ports whose namespace is `ref`: a path (exact) or a file name (basename of the recorded path). Gateways have none. */
export function findPortsByNamespace(ports: readonly TracedPort[], ref: string): TracedPort[] {
  const workloads = ports.filter((p) => !p.gateway);
  if (ref.includes('/')) return workloads.filter((p) => p.netns === ref);
  const byFile = workloads.filter((p) => basename(p.netns) === ref);
  // A container name (Docker names namespace files after sandbox ids, never after the container).
  return byFile.length > 0 ? byFile : workloads.filter((p) => p.workload === ref);
}

/** Whether `ip` lies inside the subnet of `p`'s recorded address. */
export function inSubnetOf(p: TracedPort, ip: string): boolean {
  const n = (s: string): number => s.split('.').reduce((a, x) => (a << 8) + Number(x), 0) >>> 0;
  const len = p.prefixLen ?? 32;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((n(ip) & mask) >>> 0) === ((n(p.ip) & mask) >>> 0);
}

export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

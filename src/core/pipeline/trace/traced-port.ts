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
    const ip = (ids.get(ExternalIds.ip) ?? '').split('/')[0] ?? '';
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
    });
  }
  return ports;
}

/** Ports whose namespace is `ref`: a path (exact) or a file name (basename of the recorded path). */
export function findPortsByNamespace(ports: readonly TracedPort[], ref: string): TracedPort[] {
  if (ref.includes('/')) return ports.filter((p) => p.netns === ref);
  return ports.filter((p) => basename(p.netns) === ref);
}

export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

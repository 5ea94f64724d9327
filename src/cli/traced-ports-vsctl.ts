import { ExternalIds } from '../core/ownership.js';
import type { TracedPort } from '../core/pipeline/trace/traced-port.js';

type OvsdbJson = string | number | boolean | [string, unknown];

/**
 * Reads `ovs-vsctl --format=json --columns=name,ofport,external_ids find
 * Interface ...` output. Rows lacking a mac or any address (not plugged yet) are skipped; a port of an
 * IPv6-only tenant has only its IPv6 address.
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
    const ip6 = ids.get(ExternalIds.ip6)?.split('/')[0];
    if ((!ip && !ip6) || !mac) continue;
    ports.push({
      name: String(row[iName]),
      ofport,
      netns: ids.get(ExternalIds.netns) ?? '',
      ...(ip ? { ip } : {}),
      mac,
      tenant: ids.get(ExternalIds.tenant) ?? '',
      tenantId: Number(ids.get(ExternalIds.tenantId) ?? 0),
      ...(ids.get(ExternalIds.role) === 'gateway' ? { gateway: true as const } : {}),
      ...(prefix !== undefined && /^\d+$/.test(prefix) ? { prefixLen: Number(prefix) } : {}),
      ...(ids.get(ExternalIds.workload) ? { workload: ids.get(ExternalIds.workload) } : {}),
      ...(ip6 ? { ip6 } : {}),
    });
  }
  return ports;
}

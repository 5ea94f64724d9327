import type { Tenant } from '../../../src/manifests/types.js';
import type { NamespaceInfo } from '../../../src/netns/types.js';
import type { DesiredDeps } from '../../../src/core/desired.js';
import type { OwnedPort } from '../../../src/core/model.js';
import { hostIfName, macFor } from '../../../src/core/names.js';
import { namespaceKey } from '../../../src/netns/types.js';

export function tenant(name: string, id: number, subnet: string, patterns: string[], extra: Partial<Tenant> = {}): Tenant {
  return {
    name,
    id,
    subnet,
    namespaces: patterns,
    interface: { name: 'eth0', mtu: 1500 },
    staticAddresses: {},
    source: { file: `${name}.yaml`, line: 1 },
    ...extra,
  };
}

export function ns(name: string, inode: number, firstSeenMs = inode): NamespaceInfo {
  return { path: `/run/netns/${name}`, name, dir: '/run/netns', inode, firstSeenMs };
}

function toInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Simple deterministic stand-ins for the manifest matcher and IPAM (pure units only). */
export const deps: DesiredDeps = {
  match(tenants, n) {
    const hits = [...tenants.values()].filter((t) => t.namespaces.some((p) => (p.endsWith('*') ? n.name.startsWith(p.slice(0, -1)) : n.name === p)));
    if (hits.length === 0) return { kind: 'unmatched' };
    if (hits.length > 1) return { kind: 'conflict', tenants: hits.map((t) => t.name) };
    return { kind: 'matched', tenant: hits[0]! };
  },
  allocator(t, usedIn) {
    const used = new Set(usedIn);
    return {
      allocate(nsName) {
        const fixed = t.staticAddresses[nsName];
        if (fixed) {
          if (used.has(fixed)) return { ok: false, error: new Error(`static ${fixed} taken`) };
          used.add(fixed);
          return { ok: true, ip: fixed };
        }
        const [net, len] = (t.subnet ?? '0.0.0.0/32').split('/');
        const base = toInt(net!);
        const size = 2 ** (32 - Number(len));
        for (let i = 1; i < size - 1; i++) {
          const ip = toIp(base + i);
          if (ip !== t.gateway && !used.has(ip) && !Object.values(t.staticAddresses).includes(ip)) {
            used.add(ip);
            return { ok: true, ip };
          }
        }
        return { ok: false, error: new Error(`tenant ${t.name}: subnet ${t.subnet} exhausted (namespace ${nsName})`) };
      },
    };
  },
  inSubnet(ip, cidr) {
    const [net, len] = cidr.split('/');
    const mask = Number(len) === 0 ? 0 : (~0 << (32 - Number(len))) >>> 0;
    return ((toInt(ip) & mask) >>> 0) === ((toInt(net!) & mask) >>> 0);
  },
};

/** The port a previous pass recorded for namespace `n`: ready on ofport 1, its name and MAC derived from its key. */
export function owned(n: NamespaceInfo, t: string, tenantId: number, cidr: string, extra: Partial<OwnedPort> = {}): OwnedPort {
  const key = namespaceKey(n);
  return {
    portUuid: `p-${key}`, ifaceUuid: `i-${key}`, name: hostIfName(key), key, nsPath: n.path, nsInode: n.inode,
    tenant: t, tenantId, cidr, mac: macFor(key), ifName: 'eth0', mtu: 1500, gateway: undefined, ofport: 1, installed: true,
    ...extra,
  };
}

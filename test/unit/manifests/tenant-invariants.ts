// An independent statement of what an accepted tenant must satisfy (not the parser's code), used by
// the property tests to check that nothing invalid is ever accepted.
import type { Tenant } from '../../../src/manifests/index.js';

function ip(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new Error(`not an IPv4 address: ${s}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || String(p) !== m[i + 1])) throw new Error(`bad octet: ${s}`);
  return parts.reduce((a, p) => a * 256 + p, 0);
}

function range(cidr: string): [number, number] {
  const [a, l] = cidr.split('/');
  const len = Number(l);
  const base = ip(a ?? '');
  const size = 2 ** (32 - len);
  if (base % size !== 0) throw new Error(`host bits set: ${cidr}`);
  return [base, base + size - 1];
}

/** Throws (with the reason) if the tenant breaks a rule. */
export function assertValidTenant(t: Tenant): void {
  const fail = (why: string): never => {
    throw new Error(`accepted invalid tenant ${JSON.stringify(t)}: ${why}`);
  };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(t.name) || t.name.length > 63) fail('name');
  if (!Number.isInteger(t.id) || t.id < 1 || t.id > 16777215) fail('id');
  if (t.subnet === undefined) {
    if (t.subnet6 === undefined) fail('no subnet of either family');
    if (t.gateway !== undefined || Object.keys(t.staticAddresses).length > 0) fail('IPv4 gateway or static address without an IPv4 subnet');
    return;
  }
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(t.subnet)) fail('subnet syntax');
  const len = Number(t.subnet.split('/')[1]);
  if (len > 30) fail('subnet too small');
  const [first, last] = range(t.subnet);
  const inside = (a: string): boolean => ip(a) > first && ip(a) < last;
  if (t.gateway !== undefined && !inside(t.gateway)) fail('gateway');
  if (t.namespaces.length === 0 || t.namespaces.some((p) => typeof p !== 'string' || p.trim() === '' || (p.includes('/') && !p.startsWith('/')))) fail('namespaces');
  const n = t.interface.name;
  if (n === '' || n === '.' || n === '..' || Buffer.byteLength(n) > 15 || /[/:\s]/u.test(n)) fail('interface name');
  if (!Number.isInteger(t.interface.mtu) || t.interface.mtu < 68 || t.interface.mtu > 65535) fail('mtu');
  const seen = new Set<string>();
  for (const [ns, a] of Object.entries(t.staticAddresses)) {
    if (ns === '' || ns.includes('/')) fail('static key');
    if (!inside(a) || a === t.gateway || seen.has(a)) fail(`static address ${a}`);
    seen.add(a);
  }
}

/** Throws if tenants in force together break a rule between tenants. */
export function assertCompatible(tenants: readonly Tenant[]): void {
  for (const [i, a] of tenants.entries()) {
    for (const b of tenants.slice(i + 1)) {
      const [a0, a1] = a.subnet === undefined ? [1, 0] : range(a.subnet);
      const [b0, b1] = b.subnet === undefined ? [1, 0] : range(b.subnet);
      if (a.name === b.name || a.id === b.id || (a0 <= b1 && b0 <= a1) || a.namespaces.some((p) => b.namespaces.includes(p))) {
        throw new Error(`incompatible tenants in force: ${a.name} (${a.id}, ${a.subnet}) and ${b.name} (${b.id}, ${b.subnet})`);
      }
    }
  }
}

import { describe, expect, it } from 'vitest';
import { parseManifestFile, parseManifestText, type ManifestProblem } from '../../../src/manifests/index.js';
import { TenantIndex } from '../../../src/manifests/tenant-conflicts.js';
import { tenantYaml } from './manifest-text.js';

const F = 'tenants/blue.yaml';

/** The rules between files, as the loader applies them: each file's tenants checked against those in force. */
function loadManifestTexts(files: Record<string, string>): { problems: ManifestProblem[] } {
  const index = new TenantIndex();
  const problems: ManifestProblem[] = [];
  for (const [file, text] of Object.entries(files)) {
    const parsed = parseManifestFile(file, text);
    problems.push(...parsed.problems, ...index.tryAddFile(file, parsed.tenants));
  }
  return { problems };
}

function problemsOf(text: string): string[] {
  return parseManifestText(F, text).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

/** IPv6 fields on lines 10.. (extra spec lines), one rule per row: exact line and message. */
const cases: [string, string[], number, string][] = [
  ['subnet6 not a prefix', ['subnet6: "fd00:10::"'], 10, 'spec.subnet6 must be an IPv6 prefix like fd00:10::/64, got string "fd00:10::"'],
  ['subnet6 an IPv4 CIDR', ['subnet6: 10.0.0.0/24'], 10, 'spec.subnet6 must be an IPv6 prefix like fd00:10::/64, got string "10.0.0.0/24"'],
  ['subnet6 with a zone id', ['subnet6: "fd00::%eth0/64"'], 10, 'spec.subnet6 must be an IPv6 prefix like fd00:10::/64, got string "fd00::%eth0/64"'],
  ['subnet6 with host bits set', ['subnet6: fd00:10::5/64'], 10, 'spec.subnet6 fd00:10::5/64 has host bits set; the network is fd00:10::/64'],
  ['subnet6 shorter than /64', ['subnet6: fd00:10::/48'], 10, 'spec.subnet6 fd00:10::/48 is too large: a tenant\'s IPv6 prefix must be /64 or longer'],
  ['subnet6 /127 too small', ['subnet6: fd00:10::/127'], 10, 'spec.subnet6 fd00:10::/127 is too small: it leaves no address for a namespace (the subnet-router anycast address and the gateway are never assigned); use /126 or shorter'],
  ['subnet6 link-local', ['subnet6: "fe80::/64"'], 10, 'spec.subnet6 fe80::/64 is link-local (fe80::/10): every interface has its own link-local address already; use a global or unique-local prefix (fd00::/8)'],
  ['subnet6 inside fe80::/10', ['subnet6: "febf:1::/64"'], 10, 'spec.subnet6 febf:1::/64 is link-local (fe80::/10): every interface has its own link-local address already; use a global or unique-local prefix (fd00::/8)'],
  ['subnet6 multicast', ['subnet6: "ff02::/64"'], 10, 'spec.subnet6 ff02::/64 is multicast (ff00::/8), not a unicast prefix'],
  ['subnet6 in ::/64', ['subnet6: "::/64"'], 10, 'spec.subnet6 ::/64 lies in ::/64 (unspecified, loopback, IPv4-mapped addresses), not a unicast prefix'],
  ['gateway6 without subnet6', ['gateway6: fd00:10::1'], 10, 'spec.gateway6 needs spec.subnet6 (the IPv6 prefix it lies in)'],
  ['gateway6 not an address', ['subnet6: fd00:10::/64', 'gateway6: fd00:10:::1'], 11, 'spec.gateway6 must be an IPv6 address like fd00:10::1, got string "fd00:10:::1"'],
  ['gateway6 outside', ['subnet6: fd00:10::/64', 'gateway6: fd00:11::1'], 11, 'spec.gateway6 fd00:11::1 is outside subnet fd00:10::/64'],
  ['gateway6 = subnet-router anycast', ['subnet6: fd00:10::/64', 'gateway6: "fd00:10::"'], 11, 'spec.gateway6 fd00:10:: is the subnet-router anycast address of subnet fd00:10::/64'],
  ['staticAddresses6 without subnet6', ['staticAddresses6: { blue-db: "fd00:10::5" }'], 10, 'spec.staticAddresses6 needs spec.subnet6 (the IPv6 prefix its addresses lie in)'],
  ['staticAddresses6 not a mapping', ['subnet6: fd00:10::/64', 'staticAddresses6: ["fd00:10::5"]'], 11, 'spec.staticAddresses6 must be a mapping of namespace name to IPv6 address, got a list'],
  ['static IPv6 address not an address', ['subnet6: fd00:10::/64', 'staticAddresses6: { blue-db: 10.10.0.5 }'], 11, 'spec.staticAddresses6.blue-db must be an IPv6 address like fd00:10::1, got string "10.10.0.5"'],
  ['static IPv6 address outside', ['subnet6: fd00:10::/64', 'staticAddresses6: { blue-db: "fd00:11::5" }'], 11, 'static address fd00:11::5 of namespace "blue-db" is outside subnet fd00:10::/64'],
  ['static IPv6 address = gateway6 (other spelling)', ['subnet6: fd00:10::/64', 'gateway6: fd00:10::1', 'staticAddresses6: { blue-db: "fd00:10:0:0::0001" }'], 12, 'static address fd00:10::1 of namespace "blue-db" is the gateway address'],
  ['duplicate static IPv6 address', ['subnet6: fd00:10::/64', 'staticAddresses6:', '  blue-a: "fd00:10::5"', '  blue-b: "FD00:10::5"'], 13, 'static address fd00:10::5 of namespace "blue-b" is also the static address of namespace "blue-a"'],
  ['static IPv6 address never used', ['subnet6: fd00:10::/64', 'staticAddresses6: { red-1: "fd00:10::5" }'], 11, 'static address of namespace "red-1" is never used: "red-1" matches none of spec.namespaces'],
];

describe('parseManifestText: IPv6 fields, one rule per case, exact message and line', () => {
  it.each(cases)('%s', (_name, extra, line, message) => {
    const text = tenantYaml({ extra });
    expect(problemsOf(text)).toEqual([`${F}:${line}: ${message}`]);
    expect(parseManifestText(F, text).tenants).toEqual([]);
  });
});

describe('parseManifestText: dual-stack tenants', () => {
  it('reads subnet6, gateway6 and staticAddresses6 in RFC 5952 form', () => {
    const text = tenantYaml({ extra: ['subnet6: "FD00:0010:0:0::/64"', 'gateway6: "fd00:10:0::1"', 'staticAddresses6: { blue-db: "fd00:10::00a" }'] });
    const { tenants, problems } = parseManifestText(F, text);
    expect(problems).toEqual([]);
    expect(tenants[0]).toMatchObject({ subnet: '10.10.0.0/24', subnet6: 'fd00:10::/64', gateway6: 'fd00:10::1', staticAddresses6: { 'blue-db': 'fd00:10::a' } });
  });

  it('accepts the prefix boundaries /64 and /126, and no gateway6', () => {
    for (const p of ['2001:db8::/64', '2001:db8::/126', 'fd00::/120']) expect(problemsOf(tenantYaml({ extra: [`subnet6: "${p}"`] }))).toEqual([]);
  });

  it('leaves IPv4-only tenants exactly as before (no IPv6 property at all)', () => {
    const t = parseManifestText(F, tenantYaml()).tenants[0]!;
    expect(Object.keys(t)).not.toContain('subnet6');
    expect(Object.keys(t)).not.toContain('staticAddresses6');
    expect(Object.keys(t)).not.toContain('gateway6');
  });
});

describe('IPv6 prefixes between tenants', () => {
  const doc = (name: string, id: number, v4: string, v6: string): string =>
    `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${name} }\nspec:\n  id: ${id}\n  subnet: ${v4}\n  subnet6: "${v6}"\n  namespaces: ["${name}-*"]\n`;

  it('refuses a prefix that overlaps another tenant\'s, shorter or longer, naming the other file and line', () => {
    const a = doc('red', 1, '10.1.0.0/24', 'fd00:1::/64');
    for (const [v6, msg] of [
      ['fd00:1::/64', 'overlaps subnet6 fd00:1::/64'],
      ['fd00:1::/120', 'overlaps subnet6 fd00:1::/64'],
      ['fd00:1::ff00/120', 'overlaps subnet6 fd00:1::/64'],
    ] as const) {
      const r = loadManifestTexts({ 'a.yaml': a, 'b.yaml': doc('green', 2, '10.2.0.0/24', v6) });
      expect(r.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([`b.yaml:7: spec.subnet6 ${v6} of tenant "green" ${msg} of tenant "red" (a.yaml:7)`]);
    }
    const wide = loadManifestTexts({ 'a.yaml': doc('red', 1, '10.1.0.0/24', 'fd00:1::/120'), 'b.yaml': doc('green', 2, '10.2.0.0/24', 'fd00:1::/64') });
    expect(wide.problems.map((p) => p.message)).toEqual(['spec.subnet6 fd00:1::/64 of tenant "green" overlaps subnet6 fd00:1::/120 of tenant "red" (a.yaml:7)']);
    const apart = loadManifestTexts({ 'a.yaml': a, 'b.yaml': doc('green', 2, '10.2.0.0/24', 'fd00:2::/64') });
    expect(apart.problems).toEqual([]);
  });
});

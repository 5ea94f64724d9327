import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/index.js';
import { tenantDoc, tenantYaml, type TenantLinesText } from './manifest-text.js';

const F = 'tenants/blue.yaml';

function problemsOf(text: string): string[] {
  return parseManifestText(F, text).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

/** One rule per row: the manifest, the exact line and message expected (and nothing else). */
const cases: [string, TenantLinesText | string, number, string][] = [
  ['YAML syntax error', 'apiVersion: nsvswitch/v1\nkind: Tenant\nkind: Tenant\n', 3, 'invalid YAML: Map keys must be unique'],
  ['document that is not a mapping', '- a\n- b\n', 1, 'a manifest document must be a mapping with apiVersion, kind, metadata and spec, got a list'],
  ['missing apiVersion', { apiVersion: null }, 2, 'apiVersion is missing (expected "nsvswitch/v1")'],
  ['wrong apiVersion', { apiVersion: 'v1' }, 1, 'apiVersion must be "nsvswitch/v1", got string "v1"'],
  ['missing kind', { kind: null }, 1, 'kind is missing (expected "Tenant")'],
  ['wrong kind', { kind: 'Tenants' }, 2, 'kind must be "Tenant", got string "Tenants"'],
  ['missing metadata', { metadata: null }, 1, 'metadata is missing (metadata.name names the tenant)'],
  ['metadata not a mapping', { metadata: 'metadata: blue' }, 3, 'metadata must be a mapping with a name, got string "blue"'],
  ['missing metadata.name', { metadata: 'metadata: { labels: {} }' }, 3, 'metadata.name is missing'],
  ['metadata.name not a DNS label', { metadata: 'metadata: { name: Blue_1 }' }, 3, 'metadata.name "Blue_1" must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters'],
  ['metadata.name ending in "-"', { metadata: 'metadata: { name: blue- }' }, 3, 'metadata.name "blue-" must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters'],
  ['metadata.name of 64 characters', { metadata: `metadata: { name: ${'a'.repeat(64)} }` }, 3, `metadata.name "${'a'.repeat(64)}" must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters`],
  ['metadata.name that YAML reads as a number', { metadata: 'metadata: { name: 42 }' }, 3, 'metadata.name must be a string, got number 42 (quote it to make it a string: "42")'],
  ['metadata.labels with a non-string value', { metadata: 'metadata: { name: blue, labels: { tier: [1] } }' }, 3, 'metadata.labels values must be strings, got a list'],
  ['unknown top-level field with a suggestion', `${tenantYaml()}spce: {}\n`, 10, 'unknown field "spce"; did you mean "spec"?'],
  ['unknown metadata field', { metadata: 'metadata: { name: blue, namespace: x }' }, 3, 'unknown field "namespace" in metadata; known fields: name, labels, annotations'],
  ['missing spec', 'apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: blue }\n', 1, 'spec is missing (id, subnet and namespaces are required)'],
  ['spec not a mapping', 'apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: blue }\nspec: [1]\n', 4, 'spec must be a mapping with id, subnet and namespaces, got a list'],
  ['unknown spec field with a suggestion', { extra: ['subnett: 10.0.0.0/8'] }, 10, 'unknown field "subnett" in spec; did you mean "subnet"?'],
  ['unknown spec field without a suggestion', { extra: ['colour: blue'] }, 10, 'unknown field "colour" in spec; known fields: id, subnet, gateway, subnet6, gateway6, namespaces, workloads, interface, staticAddresses, staticAddresses6, egress'],
  ['missing spec.id', { id: null }, 4, 'spec.id is missing (an integer from 1 to 16777215, unique per host)'],
  ['spec.id 0', { id: '0' }, 5, 'spec.id must be an integer from 1 to 16777215, got number 0'],
  ['spec.id above 24 bits', { id: '16777216' }, 5, 'spec.id must be an integer from 1 to 16777215, got number 16777216'],
  ['spec.id not an integer', { id: '1.5' }, 5, 'spec.id must be an integer from 1 to 16777215, got number 1.5'],
  ['spec.id as a string', { id: '"100"' }, 5, 'spec.id must be an integer from 1 to 16777215, got string "100"'],
  ['missing spec.subnet', { subnet: null, gateway: null }, 4, 'spec.subnet is missing (an IPv4 CIDR like 10.10.0.0/24; or an IPv6 prefix in spec.subnet6; or both)'],
  ['malformed subnet', { subnet: '10.10.0.0', gateway: null }, 6, 'spec.subnet must be an IPv4 CIDR like 10.10.0.0/24, got string "10.10.0.0"'],
  ['subnet with an octet above 255', { subnet: '10.256.0.0/16', gateway: null }, 6, 'spec.subnet must be an IPv4 CIDR like 10.10.0.0/24, got string "10.256.0.0/16"'],
  ['subnet with prefix 33', { subnet: '10.0.0.0/33', gateway: null }, 6, 'spec.subnet must be an IPv4 CIDR like 10.10.0.0/24, got string "10.0.0.0/33"'],
  ['subnet with host bits set', { subnet: '10.10.0.5/24', gateway: null }, 6, 'spec.subnet 10.10.0.5/24 has host bits set; the network is 10.10.0.0/24'],
  ['subnet /31 too small', { subnet: '10.10.0.0/31', gateway: null }, 6, 'spec.subnet 10.10.0.0/31 is too small: it leaves no address for a namespace (network, broadcast and gateway are never assigned); use /30 or larger'],
  ['subnet /32 too small', { subnet: '10.10.0.7/32', gateway: null }, 6, 'spec.subnet 10.10.0.7/32 is too small: it leaves no address for a namespace (network, broadcast and gateway are never assigned); use /30 or larger'],
  ['gateway not an address', { gateway: '10.10.0' }, 7, 'spec.gateway must be an IPv4 address like 10.10.0.1, got string "10.10.0"'],
  ['gateway with a leading zero', { gateway: '10.10.0.01' }, 7, 'spec.gateway must be an IPv4 address like 10.10.0.1, got string "10.10.0.01"'],
  ['gateway outside the subnet', { gateway: '10.20.0.1' }, 7, 'spec.gateway 10.20.0.1 is outside subnet 10.10.0.0/24'],
  ['gateway = network address', { gateway: '10.10.0.0' }, 7, 'spec.gateway 10.10.0.0 is the network address of subnet 10.10.0.0/24'],
  ['gateway = broadcast address', { gateway: '10.10.0.255' }, 7, 'spec.gateway 10.10.0.255 is the broadcast address of subnet 10.10.0.0/24'],
  ['missing namespaces', { namespaces: null }, 4, 'spec.namespaces is missing (a list of globs on namespace names, e.g. ["blue-*"]; or select containers with spec.workloads)'],
  ['namespaces not a list', { namespaces: 'blue-*' }, 8, 'spec.namespaces must be a list of globs on namespace names, got string "blue-*"'],
  ['empty namespaces', { namespaces: '[]' }, 8, 'spec.namespaces must not be empty (a tenant without namespace patterns attaches nothing)'],
  ['namespace pattern not a string', { namespaces: '["blue-*", 7]' }, 8, 'spec.namespaces[1] must be a string, got number 7 (quote it to make it a string: "7")'],
  ['empty namespace pattern', { namespaces: '[""]' }, 8, 'spec.namespaces[0] must not be empty'],
  ['relative pattern with "/"', { namespaces: '["netns/blue-*"]' }, 8, 'spec.namespaces[0] "netns/blue-*" contains "/" but is not an absolute path: use a glob on the name ("blue-*") or on the full path ("/run/netns/blue-*")'],
  ['interface not a mapping', { iface: 'eth0' }, 9, 'spec.interface must be a mapping with name and mtu, got string "eth0"'],
  ['unknown interface field', { iface: '{ name: eth0, mut: 1500 }' }, 9, 'unknown field "mut" in spec.interface; did you mean "mtu"?'],
  ['interface name of 16 characters', { iface: '{ name: abcdefghijklmnop }' }, 9, 'spec.interface.name "abcdefghijklmnop" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name "."', { iface: '{ name: "." }' }, 9, 'spec.interface.name "." is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name ".."', { iface: '{ name: ".." }' }, 9, 'spec.interface.name ".." is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name with "/"', { iface: '{ name: "a/b" }' }, 9, 'spec.interface.name "a/b" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name with whitespace', { iface: '{ name: "eth 0" }' }, 9, 'spec.interface.name "eth 0" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name with ":"', { iface: '{ name: "eth0:1" }' }, 9, 'spec.interface.name "eth0:1" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name empty', { iface: '{ name: "" }' }, 9, 'spec.interface.name "" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  // Names the kernel accepts but `ip -batch` would split or read as a comment, and the loopback: plumbing refuses them, so validate does.
  ['interface name with "#"', { iface: '{ name: "eth#0" }' }, 9, 'spec.interface.name "eth#0" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name with a leading "-"', { iface: '{ name: "-eth0" }' }, 9, 'spec.interface.name "-eth0" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name with a quote', { iface: `{ name: "e'0" }` }, 9, 'spec.interface.name "e\'0" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['interface name lo', { iface: '{ name: lo }' }, 9, 'spec.interface.name "lo" is reserved (the loopback interface)'],
  ['secondary interface name with "#"', { iface: '{ secondaryName: "net#1" }' }, 9, 'spec.interface.secondaryName "net#1" is not a valid Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . + -, starting with a letter, digit or "_"'],
  ['mtu below 68', { iface: '{ mtu: 67 }' }, 9, 'spec.interface.mtu must be an integer from 68 to 65535, got number 67'],
  ['mtu above 65535', { iface: '{ mtu: 65536 }' }, 9, 'spec.interface.mtu must be an integer from 68 to 65535, got number 65536'],
  ['staticAddresses not a mapping', { extra: ['staticAddresses: [10.10.0.5]'] }, 10, 'spec.staticAddresses must be a mapping of namespace name to IPv4 address, got a list'],
  ['static address not an address', { extra: ['staticAddresses: { blue-db: 10.10.0.300 }'] }, 10, 'spec.staticAddresses.blue-db must be an IPv4 address like 10.10.0.1, got string "10.10.0.300"'],
  ['static address outside the subnet', { extra: ['staticAddresses: { blue-db: 10.20.0.5 }'] }, 10, 'static address 10.20.0.5 of namespace "blue-db" is outside subnet 10.10.0.0/24'],
  ['static address = network', { extra: ['staticAddresses: { blue-db: 10.10.0.0 }'] }, 10, 'static address 10.10.0.0 of namespace "blue-db" is the network address of subnet 10.10.0.0/24'],
  ['static address = broadcast', { extra: ['staticAddresses: { blue-db: 10.10.0.255 }'] }, 10, 'static address 10.10.0.255 of namespace "blue-db" is the broadcast address of subnet 10.10.0.0/24'],
  ['static address = gateway', { extra: ['staticAddresses: { blue-db: 10.10.0.1 }'] }, 10, 'static address 10.10.0.1 of namespace "blue-db" is the gateway address'],
  ['duplicate static address', { extra: ['staticAddresses:', '  blue-a: 10.10.0.5', '  blue-b: 10.10.0.5'] }, 12, 'static address 10.10.0.5 of namespace "blue-b" is also the static address of namespace "blue-a"'],
  ['static address of a namespace no pattern matches', { extra: ['staticAddresses:', '  red-1: 10.10.0.5'] }, 11, 'static address of namespace "red-1" is never used: "red-1" matches none of spec.namespaces'],
  ['static address key with "/"', { extra: ['staticAddresses:', '  /run/netns/blue-1: 10.10.0.5'] }, 11, 'spec.staticAddresses key "/run/netns/blue-1" must be a namespace name (a file name, without "/"), a container name, or a pod as "namespace/pod"'],
];

describe('parseManifestText: one rule per case, exact message and line', () => {
  it.each(cases)('%s', (_name, input, line, message) => {
    const text = typeof input === 'string' ? input : tenantYaml(input);
    expect(problemsOf(text)).toEqual([`${F}:${line}: ${message}`]);
    expect(parseManifestText(F, text).tenants).toEqual([]);
  });
});

describe('parseManifestText: valid manifests', () => {
  it('reads every field of a full manifest, with the document line as source', () => {
    const text = tenantYaml({ extra: ['staticAddresses: { blue-db: 10.10.0.10 }'] });
    const { tenants, problems } = parseManifestText(F, text);
    expect(problems).toEqual([]);
    expect(tenants).toEqual([
      {
        name: 'blue', id: 100, subnet: '10.10.0.0/24', gateway: '10.10.0.1', namespaces: ['blue-*'],
        interface: { name: 'eth0', mtu: 1500 }, staticAddresses: { 'blue-db': '10.10.0.10' }, source: { file: F, line: 1 },
      },
    ]);
  });

  it('applies the defaults: no gateway, interface eth0 with MTU 1500, no static addresses', () => {
    const { tenants } = parseManifestText(F, tenantYaml({ gateway: null, iface: null }));
    expect(tenants[0]).toMatchObject({ interface: { name: 'eth0', mtu: 1500 }, staticAddresses: {} });
    expect(tenants[0]).not.toHaveProperty('gateway');
  });

  it('fills the interface field that is left out from the defaults', () => {
    expect(parseManifestText(F, tenantYaml({ iface: '{ mtu: 9000 }' })).tenants[0]?.interface).toEqual({ name: 'eth0', mtu: 9000 });
    expect(parseManifestText(F, tenantYaml({ iface: '{ name: net0 }' })).tenants[0]?.interface).toEqual({ name: 'net0', mtu: 1500 });
  });

  it('accepts the boundaries: id 1 and 16777215, MTU 68 and 65535, a 15-byte interface name, a /30 with gateway', () => {
    for (const o of [{ id: '1' }, { id: '16777215' }, { iface: '{ name: abcdefghijklmno, mtu: 68 }' }, { iface: '{ mtu: 65535 }' }, { subnet: '10.10.0.0/30', gateway: '10.10.0.1' }]) {
      expect(problemsOf(tenantYaml(o))).toEqual([]);
    }
  });

  it('treats an empty value as absent for optional fields', () => {
    const { tenants, problems } = parseManifestText(F, tenantYaml({ gateway: '', iface: '' }));
    expect(problems).toEqual([]);
    expect(tenants[0]?.interface).toEqual({ name: 'eth0', mtu: 1500 });
  });

  it('reads several documents per file and skips empty ones, with each tenant at its own line', () => {
    const text = `---\n${tenantDoc({ name: 'red', id: 1, subnet: '10.1.0.0/24' })}---\n---\n${tenantDoc({ name: 'green', id: 2, subnet: '10.2.0.0/24' })}`;
    const { tenants, problems } = parseManifestText(F, text);
    expect(problems).toEqual([]);
    expect(tenants.map((t) => [t.name, t.source.line])).toEqual([['red', 2], ['green', 12]]);
  });

  it('accepts an empty file (no tenants, no problem)', () => {
    expect(parseManifestText(F, '')).toEqual({ tenants: [], problems: [] });
    expect(parseManifestText(F, '# only a comment\n')).toEqual({ tenants: [], problems: [] });
  });

  it('follows YAML anchors and aliases', () => {
    const text = 'apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: blue }\nspec:\n  id: 1\n  subnet: 10.1.0.0/24\n  namespaces: &ns ["blue-*"]\n---\napiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: red }\nspec:\n  id: 2\n  subnet: 10.2.0.0/24\n  namespaces: ["red-*"]\n';
    expect(parseManifestText(F, text).tenants.map((t) => t.namespaces)).toEqual([['blue-*'], ['red-*']]);
  });

  it('reports an alias bomb as a problem instead of expanding it', () => {
    const anchors = ['a: &a [x,x,x,x,x,x,x,x,x]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`)];
    const text = `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata:\n  name: blue\n  annotations:\n${anchors.map((l) => `    ${l}`).join('\n')}\nspec:\n  id: *j\n`;
    const { tenants, problems } = parseManifestText(F, text);
    expect(tenants).toEqual([]);
    expect(problems.some((p) => p.message.startsWith('invalid YAML: Excessive alias count'))).toBe(true);
  });
});

describe('parseManifestText: rules between tenants of one file', () => {
  const two = (second: Parameters<typeof tenantDoc>[0], first: Parameters<typeof tenantDoc>[0] = { name: 'blue', id: 100, subnet: '10.10.0.0/24' }): string[] =>
    problemsOf(`${tenantDoc(first)}---\n${tenantDoc(second)}`);

  it('rejects a duplicate tenant name, naming the first definition', () => {
    expect(two({ name: 'blue', id: 200, subnet: '10.20.0.0/24', namespaces: ['x-*'] })).toEqual([`${F}:12: tenant "blue" is already defined at ${F}:3`]);
  });

  it('rejects a duplicate tenant id', () => {
    expect(two({ name: 'green', id: 100, subnet: '10.20.0.0/24' })).toEqual([`${F}:14: spec.id 100 of tenant "green" is already used by tenant "blue" (${F}:5)`]);
  });

  it('rejects overlapping subnets, both ways round', () => {
    expect(two({ name: 'green', id: 200, subnet: '10.0.0.0/8' })).toEqual([`${F}:15: spec.subnet 10.0.0.0/8 of tenant "green" overlaps subnet 10.10.0.0/24 of tenant "blue" (${F}:6)`]);
    expect(two({ name: 'green', id: 200, subnet: '10.10.0.128/25' })).toEqual([`${F}:15: spec.subnet 10.10.0.128/25 of tenant "green" overlaps subnet 10.10.0.0/24 of tenant "blue" (${F}:6)`]);
  });

  it('accepts adjacent subnets', () => {
    expect(two({ name: 'green', id: 200, subnet: '10.10.1.0/24' })).toEqual([]);
  });

  it('rejects a namespace pattern that two tenants both list', () => {
    expect(two({ name: 'green', id: 200, subnet: '10.20.0.0/24', namespaces: ['green-*', 'blue-*'] })).toEqual([
      `${F}:17: namespace pattern "blue-*" of tenant "green" is also a pattern of tenant "blue" (${F}:8): a namespace matching it would belong to both`,
    ]);
  });

  it('returns the tenants that are valid and the problems of the others (the loader rejects the file as a whole)', () => {
    const text = `${tenantDoc({ name: 'blue', id: 1, subnet: '10.1.0.0/24' })}---\n${tenantDoc({ name: 'green', id: 1, subnet: '10.2.0.0/24' })}`;
    const r = parseManifestText(F, text);
    expect(r.tenants.map((t) => t.name)).toEqual(['blue']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.tenant).toBe('green');
  });
});

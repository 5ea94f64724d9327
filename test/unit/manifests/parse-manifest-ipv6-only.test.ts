import { describe, expect, it } from 'vitest';
import { parseManifestFile, parseManifestText } from '../../../src/manifests/index.js';
import { TenantIndex } from '../../../src/manifests/tenant-conflicts.js';
import { tenantYaml } from './manifest-text.js';

const F = 'tenants/blue.yaml';

function problemsOf(text: string): string[] {
  return parseManifestText(F, text).problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

/** An IPv6-only tenant: subnet (line 6) and gateway (line 7) left out, spec.subnet6 on line 10. */
const v6only = (extra: string[] = [], over: { gateway?: string } = {}): string =>
  tenantYaml({ subnet: null, gateway: over.gateway ?? null, extra: ['subnet6: "fd00:60::/64"', ...extra] });

describe('parseManifestText: IPv6-only tenants (spec.subnet6 without spec.subnet)', () => {
  it('accepts one, with no IPv4 property at all', () => {
    const { tenants, problems } = parseManifestText(F, v6only(['gateway6: "fd00:60::1"', 'staticAddresses6: { blue-db: "fd00:60::10" }']));
    expect(problems).toEqual([]);
    const t = tenants[0]!;
    expect(t).toMatchObject({ subnet6: 'fd00:60::/64', gateway6: 'fd00:60::1', staticAddresses6: { 'blue-db': 'fd00:60::10' } });
    expect(Object.keys(t)).not.toContain('subnet');
    expect(Object.keys(t)).not.toContain('gateway');
  });

  it('still requires one family: neither subnet nor subnet6 is refused at the spec line', () => {
    expect(problemsOf(tenantYaml({ subnet: null, gateway: null }))).toEqual([
      `${F}:4: spec.subnet is missing (an IPv4 CIDR like 10.10.0.0/24; or an IPv6 prefix in spec.subnet6; or both)`,
    ]);
  });

  it('refuses an IPv4 gateway (the tenant gateway is IPv4-only), at its line', () => {
    expect(problemsOf(v6only([], { gateway: '10.10.0.1' }))).toEqual([
      `${F}:7: spec.gateway needs spec.subnet: the tenant gateway is IPv4-only (an IPv6-only tenant has no gateway port; spec.gateway6 sets its workloads' IPv6 default route)`,
    ]);
  });

  it('refuses egress with it: egress needs a gateway', () => {
    const problems = problemsOf(v6only(['egress: { snat: true }']));
    expect(problems).toEqual([`${F}:11: spec.egress needs spec.gateway: the gateway address is where workloads leave the tenant`]);
  });

  it('refuses IPv4 static addresses, at their line', () => {
    expect(problemsOf(v6only(['staticAddresses: { blue-db: 10.10.0.5 }']))).toEqual([
      `${F}:11: spec.staticAddresses needs spec.subnet (the IPv4 subnet its addresses lie in; IPv6 addresses go in spec.staticAddresses6)`,
    ]);
  });

  it('an invalid subnet6 alone is reported once, not also as a missing subnet', () => {
    expect(problemsOf(tenantYaml({ subnet: null, gateway: null, extra: ['subnet6: "fd00:60::/48"'] }))).toEqual([
      `${F}:10: spec.subnet6 fd00:60::/48 is too large: a tenant's IPv6 prefix must be /64 or longer`,
    ]);
  });

  it('sits beside IPv4 tenants: only IPv6 prefixes are compared with it', () => {
    const index = new TenantIndex();
    const a = parseManifestFile('a.yaml', v6only());
    expect(index.tryAddFile('a.yaml', a.tenants)).toEqual([]);
    const b = parseManifestFile('b.yaml', tenantYaml({ name: 'red', id: '101', subnet: '10.10.0.0/24', gateway: null, extra: ['subnet6: "fd00:60::/120"'] }));
    expect(index.tryAddFile('b.yaml', b.tenants).map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([
      'b.yaml:10: spec.subnet6 fd00:60::/120 of tenant "red" overlaps subnet6 fd00:60::/64 of tenant "blue" (a.yaml:10)',
    ]);
    const c = parseManifestFile('c.yaml', tenantYaml({ name: 'green', id: '102', subnet: '10.10.0.0/24', gateway: null }));
    expect(index.tryAddFile('c.yaml', c.tenants)).toEqual([]);
  });
});

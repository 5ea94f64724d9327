import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/index.js';

const doc = (extra: string, gateway = '  gateway: 10.10.0.1\n') => `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: blue }
spec:
  id: 100
  subnet: 10.10.0.0/24
${gateway}  namespaces: ["blue-*"]
${extra}`;

describe('spec.egress', () => {
  it('absent: no egress field (the defaults apply: snat on)', () => {
    expect(parseManifestText('f.yaml', doc('')).tenants[0]).not.toHaveProperty('egress');
  });

  it('reads snat, allowTenants and hostServices', () => {
    const { tenants, problems } = parseManifestText('f.yaml', doc('  egress: { snat: false, allowTenants: [red, green, red], hostServices: ["udp/53", "tcp/53"] }\n'));
    expect(problems).toEqual([]);
    expect(tenants[0]?.egress).toEqual({ snat: false, allowTenants: ['green', 'red'], hostServices: [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 53 }] });
  });

  it('reports each problem on the egress line', () => {
    const cases: [string, string][] = [
      ['  egress: { snat: "no" }\n', 'spec.egress.snat must be true (source-translate to the host\'s address) or false (routed), got string "no"'],
      ['  egress: { allowTenants: [Blue_1] }\n', 'spec.egress.allowTenants[0] must be a tenant name (a DNS label), got string "Blue_1"'],
      ['  egress: { allowTenants: [blue] }\n', 'spec.egress.allowTenants[0] "blue" is the tenant itself'],
      ['  egress: { hostServices: ["dns"] }\n', 'spec.egress.hostServices[0] must be "tcp/PORT" or "udp/PORT" (port 1 to 65535), got string "dns"'],
      ['  egress: { hostServices: ["udp/0"] }\n', 'spec.egress.hostServices[0] must be "tcp/PORT" or "udp/PORT" (port 1 to 65535), got string "udp/0"'],
      ['  egress: { snatt: true }\n', 'unknown field "snatt" in spec.egress; did you mean "snat"?'],
    ];
    for (const [extra, message] of cases) {
      const { tenants, problems } = parseManifestText('f.yaml', doc(extra));
      expect(tenants).toEqual([]);
      expect(problems).toEqual([{ file: 'f.yaml', line: 9, message, tenant: 'blue' }]);
    }
  });

  it('needs a gateway', () => {
    const { problems } = parseManifestText('f.yaml', doc('  egress: { snat: true }\n', ''));
    expect(problems.map((p) => p.message)).toEqual(['spec.egress needs spec.gateway: the gateway address is where workloads leave the tenant']);
  });
});

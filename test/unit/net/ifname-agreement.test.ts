import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseManifestText } from '../../../src/manifests/index.js';
import { checkPlugSpec } from '../../../src/plumbing/spec-check.js';
import { isKernelIfName, isSafeIfName, workloadIfNameFault } from '../../../src/net/ifname.js';
import { isIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { spec } from '../plumbing/fixtures.js';
import { tenantYaml } from '../manifests/manifest-text.js';

/** Whether a manifest naming `name` as the tenant interface (or the secondary one) is accepted. */
function manifestAccepts(name: string, field: 'name' | 'secondaryName' = 'name'): boolean {
  const { problems } = parseManifestText('t.yaml', tenantYaml({ iface: `{ ${field}: ${JSON.stringify(name)} }` }));
  return problems.length === 0;
}

/** Whether plumbing would plug a namespace whose interface is `name`. */
function plumbingAccepts(name: string): boolean {
  return checkPlugSpec(spec({ ifName: name })) === undefined;
}

const NAMES = [
  'eth0', 'net1', 'e', '_x', '0', 'veth_a.b', 'x+y-z', 'abcdefghijklmno', 'lo0', 'LO',
  'eth#0', '-eth0', "e'0", 'e"0', 'e\\0', 'lo', '.', '..', '.eth0', '+eth0', '', 'eth 0', 'eth0:1', 'a/b',
  'abcdefghijklmnop', 'eté0', 'eth\t0', 'eth0\n', 'e$0', 'e;0', 'e`0', 'e(0)', 'e*', 'e?', 'e[0]', 'e{0}', 'e@0', 'e%0', 'e,0',
];

describe('interface names: one rule for validate and plumbing', () => {
  it.each(NAMES)('manifests and plumbing agree on %j', (name) => {
    expect(manifestAccepts(name)).toBe(plumbingAccepts(name));
    expect(manifestAccepts(name, 'secondaryName') || /^eth\d+$/.test(name) || !plumbingAccepts(name)).toBe(true);
  });

  it('agree on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 17 }), fc.stringMatching(/^[ -~]{0,16}$/)), (name) => {
        // Characters YAML would need escapes for are outside both rules anyway; the JSON-quoted scalar carries the rest as is.
        expect(manifestAccepts(name)).toBe(plumbingAccepts(name));
      }),
      { numRuns: 300 },
    );
  });

  it('the workload rule is stricter than the kernel rule, never looser', () => {
    fc.assert(fc.property(fc.string({ maxLength: 17 }), (name) => {
      if (workloadIfNameFault(name) === undefined) expect(isSafeIfName(name) && isKernelIfName(name)).toBe(true);
    }));
  });
});

describe('IPv4: one strict parser', () => {
  it.each(['010.0.0.1', '10.0.0.01', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.4 ', '+1.2.3.4', '0x1.2.3.4', '1..3.4', ''])('refuses %j', (t) => {
    expect(parseIpv4(t)).toBeUndefined();
    expect(isIpv4(t)).toBe(false);
    expect(checkPlugSpec(spec({ ip: t }))?.field).toBe('IPv4 address');
  });

  it.each(['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.168.100.10'])('accepts %j', (t) => {
    expect(isIpv4(t)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { computeDesired } from '../../../src/core/desired.js';
import { earlyFlowPorts, ownedFlowPort } from '../../../src/core/flow-ports.js';
import { plan } from '../../../src/core/plan.js';
import { pipelineFlows } from '../../../src/core/pipeline/index.js';
import type { DesiredPort, OwnedPort } from '../../../src/core/model.js';
import { diffFlows } from '../../../src/openflow/flow-diff.js';
import { deps, ns, tenant } from './fixtures.js';

function asOwned(d: DesiredPort, ofport: number): OwnedPort {
  return {
    portUuid: `p-${d.key}`, ifaceUuid: `i-${d.key}`, name: d.hostIf, key: d.key, nsPath: d.ns.path, nsInode: d.ns.inode,
    tenant: d.tenant, tenantId: d.tenantId, cidr: `${d.ip}/${d.prefixLen}`, mac: d.mac, ifName: d.ifName, mtu: d.mtu,
    gateway: d.gateway, ofport, installed: true,
  };
}

describe('earlyFlowPorts', () => {
  const names = [ns('b-1', 1), ns('b-2', 2), ns('b-3', 3)];
  const before = computeDesired(new Map([['b', tenant('b', 7, '10.7.0.0/24', ['b-*'])]]), names, [], deps);
  const owned = [...before.ports.values()].map((d, i) => asOwned(d, i + 1));

  it('leaves a replugged port out under its old number: one port per MAC, no duplicate flow', () => {
    // A subnet change: every port is replugged with the same name and MAC.
    const after = computeDesired(new Map([['b', tenant('b', 7, '10.8.0.0/24', ['b-*'])]]), names, owned, deps);
    const p = plan(after, owned);
    expect(p.remove).toHaveLength(3);
    expect(p.keep).toEqual([]);
    // Higher numbers than before: a stale entry would sort first and win.
    const early = earlyFlowPorts(p.keep, p.plug, [4, 5, 6]);
    expect(early.map((f) => f.ofport)).toEqual([4, 5, 6]);
    expect(early.every((f) => f.ip?.startsWith('10.8.0.'))).toBe(true);
    expect(diffFlows(pipelineFlows(early), []).duplicates).toEqual([]);
  });

  it('keeps the ports that stay and skips new ports without a requested number', () => {
    const more = [...names, ns('b-4', 4), ns('b-5', 5)];
    const after = computeDesired(new Map([['b', tenant('b', 7, '10.7.0.0/24', ['b-*'])]]), more, owned, deps);
    const p = plan(after, owned);
    expect(p.keep).toHaveLength(3);
    const early = earlyFlowPorts(p.keep, p.plug, [4]);
    expect(early.map((f) => [f.portName, f.ofport])).toEqual([...owned.map((o) => [o.name, o.ofport]), [p.plug[0]!.hostIf, 4]]);
    expect(early.slice(0, 3)).toEqual(owned.map(ownedFlowPort));
  });

  it('drops ports without a usable number (not yet assigned by ovs-vswitchd)', () => {
    const early = earlyFlowPorts([{ ...owned[0]!, ofport: undefined }, { ...owned[1]!, ofport: -1 }, owned[2]!], [], []);
    expect(early.map((f) => f.ofport)).toEqual([3]);
  });
});

import { describe, expect, it } from 'vitest';
import { Reconciler, type Trigger } from '../../../src/agent/reconciler.js';
import { EMPTY_PASS_INPUT, foldPassInput, type AgentEvent, type PassInput } from '../../../src/agent/pass-input.js';
import { OvnSteps } from '../../../src/agent/ovn/ovn-steps.js';
import { DEFAULT_CONFIG } from '../../../src/config/index.js';
import type { AgentConfig } from '../../../src/config/types.js';
import type { Tenant } from '../../../src/manifests/types.js';
import { FlowSync } from '../../../src/openflow/index.js';
import { Metrics } from '../../../src/observe/metrics.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { ownedPorts } from '../../../src/core/owned-ports.js';
import { namespaceKey } from '../../../src/netns/types.js';
import { deps, ns, tenant } from '../core/fixtures.js';
import { CallLog, FakeFlowDriver, FakeOvs, FakePlumbing } from './fake-effects.js';
import { FakeLogicalSide, FakeNb, OvnControllerOvs } from './fake-ovn.js';

const START: Trigger[] = [{ reason: 'start', full: true }];
const CONFIG: AgentConfig = { ...DEFAULT_CONFIG, backend: 'ovn', bridge: 'br-int', ovnNbRemotes: 'unix:/nb.sock', ovnSbRemotes: 'unix:/sb.sock', ovnEncapIp: '172.31.0.11' };
const BLUE = tenant('blue', 100, '10.10.0.0/24', ['blue-*']);
const { subnet: _none, ...SIX } = tenant('six', 300, '0.0.0.0/32', ['six-*'], { subnet6: 'fd00:60::/64', staticAddresses6: {} }) as Tenant;

/** Records every warning the OVN steps log, so the test can count them. */
function warnings(): { logger: ReturnType<typeof silentLogger>; seen: string[] } {
  const seen: string[] = [];
  const logger = silentLogger();
  const orig = logger.warn.bind(logger);
  logger.warn = ((obj: unknown, msg?: string) => {
    seen.push(msg ?? String(obj));
    return orig(obj as object, msg);
  }) as typeof logger.warn;
  return { logger, seen };
}

describe('Reconciler.pass with backend ovn: an IPv6-only tenant (ovn is IPv4-only for now)', () => {
  it('refuses its namespaces (no claim, no veth, no record; an error verdict saying why), warns once per tenant, and plugs the IPv4 tenant beside it', async () => {
    const log = new CallLog();
    const fakeOvs = new FakeOvs(log, CONFIG.bridge);
    const ovs = new OvnControllerOvs(fakeOvs);
    const side = new FakeLogicalSide('host-a', new FakeNb(), log);
    const w = warnings();
    const r = new Reconciler({
      config: CONFIG, bridgeUuid: () => fakeOvs.bridgeUuid, ovs, plumbing: new FakePlumbing(log), flowDriver: new FakeFlowDriver(log), flowSync: new FlowSync(new FakeFlowDriver(log)),
      core: deps, logger: silentLogger(), metrics: new Metrics({ defaultMetrics: false }), now: () => 1_000_000,
      ovn: new OvnSteps(side, w.logger, new Metrics({ defaultMetrics: false })),
    });
    let input: PassInput = foldPassInput(EMPTY_PASS_INPUT, { kind: 'tenants', set: { tenants: new Map([['blue', BLUE], ['six', SIX]]), problems: [] } });
    const note = (ev: AgentEvent): void => void (input = foldPassInput(input, ev));
    const keys = [ns('six-a', 1), ns('six-b', 2), ns('blue-1', 3)].map((info) => {
      note({ kind: 'namespace', event: { type: 'added', ns: info } });
      return namespaceKey(info);
    });
    const pass = async (): Promise<unknown> => {
      const taken = input;
      note({ kind: 'taken' });
      return r.pass(START, taken);
    };
    await pass();
    await pass();

    const owned = ownedPorts(ovs.snapshot(), CONFIG.bridge).owned;
    expect(owned.map((o) => o.tenant)).toEqual(['blue']);
    const plugged = log.calls.filter((c) => c.effect === 'plumbing.plug').flatMap((c) => c.detail as string[]);
    expect(plugged).toEqual([owned[0]!.name]);
    expect(log.calls.filter((c) => c.effect === 'nb.ensureSwitches').flatMap((c) => c.detail as string[])).toEqual(['nsvs-blue']);
    for (const k of keys.slice(0, 2)) {
      expect(r.lastDesired.verdicts.get(k)).toMatchObject({ kind: 'error', tenant: 'six', reason: 'ipv6-only' });
      expect(r.lastDesired.ports.has(k)).toBe(false);
    }
    expect(w.seen.filter((m) => m.includes('IPv6-only'))).toHaveLength(1);
  });
});

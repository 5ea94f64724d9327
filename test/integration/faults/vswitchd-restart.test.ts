import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { run } from '../../../src/exec/run.js';
import { eui64LinkLocal } from '../../../src/net/index.js';
import { AgentEnv, eventually } from '../../helpers/agent-env.js';
import { FaultRecorder, PingLoop, envInt, sleep, faultExpectation, faultTenantYaml, withDualStack } from '../../helpers/faults.js';
import { addressSnapshot, checkInvariants, type TenantExpectation } from '../../helpers/invariants.js';

/** Namespaces per tenant (3 tenants). */
const PER_TENANT = envInt('NSVS_FAULT_VSWITCHD_PER_TENANT', 4);
/** ovs-vswitchd kill/restart cycles. */
const CYCLES = envInt('NSVS_FAULT_VSWITCHD_CYCLES', 2);

const TENANTS = withDualStack([
  { name: 'vsa', id: 301, subnet: '10.31.0.0/24' },
  { name: 'vsb', id: 302, subnet: '10.32.0.0/24' },
  { name: 'vsc', id: 303, subnet: '10.33.0.0/24' },
]);
const names = (t: string): string[] => Array.from({ length: PER_TENANT }, (_, i) => `${t}-${i}`);
const expected: Record<string, TenantExpectation> = Object.fromEntries(TENANTS.map((t) => [t.name, faultExpectation(t, names(t.name))]));

describe('fault: ovs-vswitchd killed and restarted with traffic running', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  let loop: PingLoop | undefined;
  /** The same pair over IPv6 (vsa is the fixture's dual-stack tenant). */
  let loop6: PingLoop | undefined;
  const rec = new FaultRecorder('vswitchd-restart');

  beforeAll(async () => {
    env = await AgentEnv.start('fault-vswitchd');
    await env.writeManifest('tenants.yaml', TENANTS.map((t) => faultTenantYaml(t)).join('---\n'));
    await env.workloads.add(...TENANTS.flatMap((t) => names(t.name)));
    rec.namespacesHandled(TENANTS.length * PER_TENANT);
  });
  afterAll(async () => {
    await loop?.kill();
    await loop6?.kill();
    await agent?.stop();
    await rec.write().catch(() => undefined);
    await env?.stop();
  });

  it('replays the flows: IPv4 and IPv6 traffic between two workloads resumes and isolation holds', async () => {
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await agent.ready;
    const settled = await checkInvariants(env, { expectedByTenant: expected, samplePairs: 1 });
    const before = await addressSnapshot(env);
    expect(before.size).toBe(settled.ports);

    const dstIds = (await env.ownedInterfaces()).find((i) => i.ids['nsvswitch-netns'] === env.workloads.path('vsa-1'))!.ids;
    const dst = dstIds['nsvswitch-ip']!.split('/')[0]!;
    const dst6 = dstIds['nsvswitch-ip6']!.split('/')[0]!;
    loop = PingLoop.start(env.workloads.path('vsa-0'), dst);
    loop6 = PingLoop.start(env.workloads.path('vsa-0'), dst6);
    await eventually('ping loops answered', async () => loop!.replies >= 5 && loop6!.replies >= 5, 10_000, 50);

    const outages: { downMs: number; trafficBackAfterStartMs: number }[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const replaysBefore = (await agent.metrics.flowReplays.get()).values[0]?.value ?? 0;
      await env.sb.kill('ovs-vswitchd');
      rec.fault('ovs-vswitchd SIGKILL');
      const downAt = Date.now();
      await sleep(500);
      await env.sb.startVswitchd();
      const upAt = Date.now();
      // Traffic back: replies that arrived after the restart, which only the replayed flows can carry.
      await eventually(`traffic after ovs-vswitchd restart ${c + 1}`, async () => loop!.repliesSince(upAt) >= 1, 20_000, 20);
      await eventually(`IPv6 traffic after ovs-vswitchd restart ${c + 1}`, async () => loop6!.repliesSince(upAt) >= 1, 20_000, 20);
      outages.push({ downMs: upAt - downAt, trafficBackAfterStartMs: Date.now() - upAt });
      await eventually('steady traffic', async () => loop!.repliesSince(upAt) >= 5, 10_000, 50);
      expect((await agent.metrics.flowReplays.get()).values[0]?.value ?? 0).toBeGreaterThan(replaysBefore);
      await checkInvariants(env, { expectedByTenant: expected, addressesBefore: before, samplePairs: 1 });
    }
    const tally = await loop.stop();
    loop = undefined;
    const tally6 = await loop6.stop();
    loop6 = undefined;
    rec.note('pingLoop', tally);
    rec.note('pingLoop6', tally6);
    rec.note('restartCycles', CYCLES);
    expect(tally.received).toBeGreaterThan(0);
    expect(tally6.received).toBeGreaterThan(0);
    // Still isolated over IPv6: the IPv4-only tenant's port reaches the dual-stack one's link-local address not at all.
    const ll = eui64LinkLocal(dstIds['nsvswitch-mac']!);
    const r6 = await run('ping', ['-6', '-n', '-q', '-c', '2', '-W', '1', '-i', '0.2', `${ll}%eth0`], { netns: env.workloads.path('vsb-0'), okExitCodes: [1, 2] });
    expect(r6.stdout).toContain(' 0 received');

    const report = await checkInvariants(env, { expectedByTenant: expected, addressesBefore: before });
    expect(report.addressesCompared).toBe(before.size);
    rec.note('outages', outages);
    rec.checked(report);
    rec.passed = true;
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { PrivateNetnsDir } from '../../../src/sandbox/private-netns-dir.js';
import { AgentEnv } from '../../helpers/agent-env.js';
import { FaultRecorder, envInt, seededRandom, sleep, faultExpectation, faultTenantYaml, withDualStack } from '../../helpers/faults.js';
import { addressSnapshot, checkInvariants, type TenantExpectation } from '../../helpers/invariants.js';

/** Namespaces created per churn round. */
const PER_ROUND = envInt('NSVS_FAULT_CHURN_N', 40);
const ROUNDS = envInt('NSVS_FAULT_CHURN_ROUNDS', 3);

const TENANTS = withDualStack([
  { name: 'nca', id: 701, subnet: '10.70.0.0/22' },
  { name: 'ncb', id: 702, subnet: '10.71.0.0/22' },
]);

describe('fault: namespaces deleted while being plugged, namespace directory removed and re-created', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const { seed, int, rand } = seededRandom('namespace-churn');
  const rec = new FaultRecorder('namespace-churn', seed);
  /** Namespaces that exist now (the expected end state). */
  const present = new Set<string>();
  let serial = 0;
  let churnHeld = false;
  const fresh = (): string => `${TENANTS[serial % 2]!.name}-${String(serial++).padStart(4, '0')}`;
  const expected = (): Record<string, TenantExpectation> =>
    Object.fromEntries(TENANTS.map((t) => [t.name, faultExpectation(t, [...present].filter((n) => n.startsWith(`${t.name}-`)).sort())]));

  beforeAll(async () => {
    env = await AgentEnv.start('fault-nschurn');
    await env.writeManifest('tenants.yaml', TENANTS.map((t) => faultTenantYaml(t)).join('---\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    await rec.write().catch(() => undefined);
    await env?.stop();
  });

  it('namespaces deleted (and some re-created under the same name) while the agent plugs them leave nothing behind', async () => {
    agent = await Agent.start(env.config({ resyncIntervalMs: 3_000 }), { logger: silentLogger(), http: false });
    await agent.ready;
    let deleted = 0, recreated = 0, handled = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const batch = Array.from({ length: PER_ROUND }, fresh);
      // Create in small steps; between steps delete some of the newest ones, which the agent is plugging right now.
      for (let i = 0; i < batch.length; i += 5) {
        const step = batch.slice(i, i + 5);
        await env.workloads.add(...step);
        handled += step.length;
        for (const n of step) present.add(n);
        await sleep(int(0, 60));
        const victims = [...present].slice(-10).filter(() => rand() < 0.3).slice(0, 3);
        await env.workloads.remove(...victims);
        deleted += victims.length;
        for (const v of victims) present.delete(v);
        // Some come back at once under the same name: a new namespace (new inode), never the old port.
        const back = victims.filter(() => rand() < 0.4);
        if (back.length > 0) {
          await env.workloads.add(...back);
          recreated += back.length;
          handled += back.length;
          for (const b of back) present.add(b);
        }
      }
    }
    rec.fault('namespace deleted while being plugged', deleted);
    rec.fault('namespace re-created under the same name', recreated);
    rec.namespacesHandled(handled);
    const report = await checkInvariants(env, { expectedByTenant: expected() });
    rec.checked(report);
    expect(deleted).toBeGreaterThan(0);
    expect(report.ports).toBe(present.size);
    churnHeld = true;
  }, 120_000);

  it('the namespace directory removed and re-created: old ports go, the new namespaces are plugged', async () => {
    const cycles = envInt('NSVS_FAULT_NSDIR_CYCLES', 2);
    for (let c = 0; c < cycles; c++) {
      const keep = [...present].filter(() => rand() < 0.5);
      // Every namespace unmounted and the private directory itself removed, while the agent runs.
      await env.workloads.destroy();
      rec.fault('namespace directory removed');
      const gone = present.size;
      present.clear();
      await sleep(int(0, 1_500));
      const again = await PrivateNetnsDir.create(env.workloads.dir);
      rec.fault('namespace directory re-created');
      // Same names as before (new namespaces) and new names.
      const names = [...keep, ...Array.from({ length: int(5, 20) }, fresh)];
      await again.add(...names);
      for (const n of names) present.add(n);
      rec.namespacesHandled(names.length);
      rec.note(`nsdirCycle${c + 1}`, { removedWithDir: gone, recreatedNames: keep.length, added: names.length });
      const report = await checkInvariants(env, { expectedByTenant: expected(), samplePairs: 2 });
      expect(report.ports).toBe(present.size);
    }
    // A restart after all of it adopts everything as is.
    const before = await addressSnapshot(env);
    await agent!.stop();
    agent = await Agent.start(env.config({ resyncIntervalMs: 3_000 }), { logger: silentLogger(), http: false });
    await agent.ready;
    const report = await checkInvariants(env, { expectedByTenant: expected(), addressesBefore: before });
    expect(report.addressesCompared).toBe(present.size);
    rec.checked(report);
    rec.passed = churnHeld;
  }, 120_000);
});

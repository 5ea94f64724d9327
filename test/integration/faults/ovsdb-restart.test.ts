import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv } from '../../helpers/agent-env.js';
import { FaultRecorder, envInt, seededRandom, sleep, faultExpectation, faultTenantYaml, withDualStack } from '../../helpers/faults.js';
import { addressSnapshot, checkInvariants, type AddressRecord, type TenantExpectation } from '../../helpers/invariants.js';

/** Namespaces in the burst. */
const BURST = envInt('NSVS_FAULT_OVSDB_N', 150);
/** ovsdb-server kill/restart cycles during the burst. */
const CYCLES = envInt('NSVS_FAULT_OVSDB_CYCLES', 2);
const CHUNK = 10;
/** Longest wait for a kill point (ms). */
const KILL_POINT_MAX_WAIT_MS = 20_000;

const TENANTS = withDualStack([
  { name: 'dba', id: 601, subnet: '10.60.0.0/22' },
  { name: 'dbb', id: 602, subnet: '10.61.0.0/22' },
]);
const EARLY = ['dba-early0', 'dba-early1', 'dbb-early0'];
const BURST_NAMES = Array.from({ length: BURST }, (_, i) => `${TENANTS[i % 2]!.name}-${String(i).padStart(4, '0')}`);

describe('fault: ovsdb-server killed and restarted mid-burst', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const { seed, int, pick } = seededRandom('ovsdb-restart');
  const rec = new FaultRecorder('ovsdb-restart', seed);

  beforeAll(async () => {
    env = await AgentEnv.start('fault-ovsdb');
    await env.writeManifest('tenants.yaml', TENANTS.map((t) => faultTenantYaml(t)).join('---\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    await rec.write().catch(() => undefined);
    await env?.stop();
  });

  it('reconnects, resumes the burst and ends with every namespace plugged once, nothing leaked', async () => {
    await env.workloads.add(...EARLY);
    agent = await Agent.start(env.config({ resyncIntervalMs: 5_000 }), { logger: silentLogger(), http: false });
    await agent.ready;
    const expected: Record<string, TenantExpectation> = Object.fromEntries(TENANTS.map((t) => [t.name,
      faultExpectation(t, [...EARLY, ...BURST_NAMES].filter((n) => n.startsWith(`${t.name}-`)))]));
    const early: Record<string, TenantExpectation> = Object.fromEntries(TENANTS.map((t) => [t.name, faultExpectation(t, EARLY.filter((n) => n.startsWith(`${t.name}-`)))]));
    await checkInvariants(env, { expectedByTenant: early, samplePairs: 1 });
    const before = new Map<string, AddressRecord>(await addressSnapshot(env));

    let created = 0;
    const burst = (async () => {
      for (let i = 0; i < BURST_NAMES.length; i += CHUNK) {
        await env.workloads.add(...BURST_NAMES.slice(i, i + CHUNK));
        created = Math.min(BURST_NAMES.length, i + CHUNK);
      }
    })();

    const kills: { kind: string; target: number; downMs: number; namespacesCreated: number; vethsAtKill: number }[] = [];
    for (let c = 0; c < CYCLES; c++) {
      // Kill once the agent made a random amount of progress: more veths (mid-plumbing) or more rows (mid-record).
      const kind = pick(['veths', 'rows'] as const);
      const count = async (): Promise<number> => (kind === 'veths' ? (await env.hostVeths()).size : (await env.ownedInterfaces()).length);
      const have = await count();
      const target = have + int(3, Math.max(5, Math.floor((BURST - have) / (CYCLES + 1))));
      const t0 = Date.now();
      while (Date.now() - t0 < KILL_POINT_MAX_WAIT_MS && (await count()) < target) await sleep(5);
      const vethsAtKill = (await env.hostVeths()).size;
      await env.sb.kill('ovsdb-server');
      rec.fault('ovsdb-server SIGKILL');
      const downMs = int(300, 2_000);
      await sleep(downMs);
      await env.sb.startOvsdb();
      kills.push({ kind, target, downMs, namespacesCreated: created, vethsAtKill });
      // Everything recorded before the outage must keep its address.
      for (const [key, a] of await addressSnapshot(env, { pendingToo: true })) if (!before.has(key)) before.set(key, a);
    }
    await burst;

    const report = await checkInvariants(env, { expectedByTenant: expected, addressesBefore: before, settleMs: 90_000 });
    rec.namespacesHandled(BURST + EARLY.length);
    rec.note('kills', kills);
    rec.note('agentReconnects', (await agent.metrics.ovsdbReconnects.get()).values[0]?.value ?? 0);
    rec.checked(report);
    console.log(`[faults] ovsdb-restart: ${JSON.stringify(kills)}`);
    expect(report.ports).toBe(BURST + EARLY.length);
    expect(report.addressesCompared).toBe(before.size);
    expect((await agent.metrics.ovsdbReconnects.get()).values[0]?.value ?? 0).toBeGreaterThanOrEqual(CYCLES);
    rec.passed = true;
  }, 180_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { OvsdbClient, VswitchReplica } from '../../../src/ovsdb/index.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems } from '../../helpers/traffic.js';

const NAMES = Array.from({ length: 11 }, (_, i) => `bk-${String(i).padStart(2, '0')}`);
const CHUNK = 4;

/**
 * An agent that starts facing a backlog (here 11 namespaces, at most 4 per
 * pass) records, flows and marks ready chunk by chunk, one pass right after
 * the other, and reports ready only once the backlog is done.
 */
describe('agent: a backlog of namespaces is plugged chunk by chunk', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('agent-backlog');
    await env.writeManifest('t.yaml', tenantYaml('bk', 560, '10.56.0.0/24', ['bk-*']));
    await env.workloads.add(...NAMES);
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it(`plugs ${NAMES.length} namespaces in passes of at most ${CHUNK}, and is ready only when all are`, async () => {
    // Ready markers in every update OVSDB sends (a monitor of our own: no update is missed, however fast the passes).
    const client = await OvsdbClient.connect(env.sb.dbEndpoint);
    const replica = await VswitchReplica.start(client);
    const readyCounts: number[] = [];
    const sub = replica.changes$.subscribe((snap) => {
      readyCounts.push([...snap.interfaces.values()].filter((i) => i.external_ids['nsvswitch-owner'] === 'nsvswitch' && i.external_ids['nsvswitch-installed'] === 'true').length);
    });
    let atReady: number;
    try {
      agent = await Agent.start(env.config(), { logger: silentLogger(), http: false, maxPlugsPerPass: CHUNK });
      atReady = (await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-installed'] === 'true').length;
    } finally {
      sub.unsubscribe();
      await replica.stop();
      await client.close();
    }
    expect(atReady).toBe(NAMES.length);
    // Three chunks, each recorded and passed: OVSDB saw ready ports before the last chunk was done.
    const passes = (await agent.metrics.reconcileDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    expect(passes).toBeGreaterThanOrEqual(Math.ceil(NAMES.length / CHUNK));
    expect(readyCounts.some((n) => n > 0 && n < NAMES.length)).toBe(true);
    // Every namespace once, with a distinct address.
    const rows = await env.ownedInterfaces();
    expect(new Set(rows.map((r) => r.ids['nsvswitch-netns'])).size).toBe(NAMES.length);
    expect(new Set(rows.map((r) => r.ids['nsvswitch-ip'])).size).toBe(NAMES.length);
    const ip = (n: string) => rows.find((r) => r.ids['nsvswitch-netns'] === env.workloads.path(n))!.ids['nsvswitch-ip']!.split('/')[0]!;
    await eventually('first reaches last', async () => env.ping(NAMES[0]!, ip(NAMES.at(-1)!)));
    expect(trafficProblems(await env.trafficTo(NAMES[0]!, [ip(NAMES.at(-1)!)]), () => true)).toEqual([]);
  });
});

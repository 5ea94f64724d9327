import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { trafficMatrix, trafficProblems } from '../../helpers/traffic.js';
import { flowsMatchRows } from '../../helpers/invariants.js';

const FILE = 'pair.yaml';
/** Seen first by the agent, plugged second. */
const A = { name: 'ra', id: 530, ns: ['ra-1', 'ra-2'], subnets: ['10.70.0.0/24', '10.70.1.0/24'] };
/** Seen second, plugged first: it holds the lower OpenFlow port numbers. */
const B = { name: 'rb', id: 531, ns: ['rb-1', 'rb-2'], subnets: ['10.71.0.0/24', '10.71.1.0/24'] };
const FLIPS = 3;

const doc = (t: typeof A, i: number) => tenantYaml(t.name, t.id, t.subnets[i % t.subnets.length]!, [`${t.name}-*`]);

/**
 * A subnet change replugs every port of the tenant: same namespace, so the
 * same host veth name and MAC, and possibly another OpenFlow port number. The
 * moment the agent marks such a port ready, the switch must hold exactly the
 * pipeline for the new records (no flow still sending the MAC to the old
 * number) and the port must carry traffic, with no resync to repair it.
 *
 * The arrangement makes the numbers move: the agent sees A's namespaces
 * before B's, but B's manifest comes first, so B holds the low numbers. When
 * one manifest write flips both subnets, one pass replugs all four ports in
 * the order the agent saw them: A takes the low numbers, B gets higher ones
 * than it had.
 */
describe('ports replugged under the same name and MAC', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;

  const rowsOf = async (tenant: string) => (await env.ownedInterfaces()).filter((r) => r.ids['nsvswitch-tenant'] === tenant);
  const readyIn = async (t: typeof A, i: number) => {
    const prefix = t.subnets[i % t.subnets.length]!.split('.').slice(0, 3).join('.') + '.';
    const r = await rowsOf(t.name);
    return r.length === t.ns.length && r.every((x) => x.ids['nsvswitch-ip']!.startsWith(prefix) && x.ids['nsvswitch-installed'] === 'true') && r;
  };

  beforeAll(async () => {
    env = await AgentEnv.start('agent-replug');
    await env.writeManifest(FILE, doc(B, 0));
    // No periodic resync within the test: nothing but the replug itself may fix the flows.
    agent = await Agent.start(env.config({ resyncIntervalMs: 600_000 }), { logger: silentLogger(), http: false });
    await agent.ready;
    // One at a time, so the agent sees them in this order.
    for (const n of [...A.ns, ...B.ns]) {
      await env.workloads.add(n);
      await eventually(`${n} seen`, async () => agent!.status().namespaces.some((s) => s.path === env.workloads.path(n)));
    }
    await eventually('B ready', () => readyIn(B, 0));
    await env.writeManifest(FILE, `${doc(A, 0)}---\n${doc(B, 0)}`);
    await eventually('A ready', () => readyIn(A, 0));
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it(`keeps flows exact and traffic flowing across ${FLIPS} flips of both tenants' subnets`, async () => {
    const before = new Map([...(await rowsOf(A.name)), ...(await rowsOf(B.name))].map((r) => [r.name, r.ofport]));
    let raised = 0;
    for (let i = 1; i <= FLIPS; i++) {
      const veths = await env.hostVeths();
      await env.writeManifest(FILE, `${doc(A, i)}---\n${doc(B, i)}`);
      const rows = await eventually(`flip ${i}: every port ready in the new subnets`, async () => {
        const a = await readyIn(A, i);
        const b = a && (await readyIn(B, i));
        return a && b && [...a, ...b];
      });
      // Same names, new links: the replug really re-created them.
      const after = await env.hostVeths();
      for (const r of rows) {
        expect(veths.has(r.name)).toBe(true);
        expect(after.get(r.name)).not.toBe(veths.get(r.name));
      }
      if (i === 1) raised = rows.filter((r) => r.ofport > before.get(r.name)!).length;
      // Right away, no retry: flows exact, and each tenant's two namespaces reach each other.
      expect(await flowsMatchRows(env), `flip ${i}`).toEqual([]);
      const ipOf = new Map(rows.map((r) => [r.ids['nsvswitch-netns']!.split('/').pop()!, r.ids['nsvswitch-ip']!.split('/')[0]!]));
      for (const t of [A, B]) {
        const [x, y] = t.ns as [string, string];
        expect(await env.pingCount(x, ipOf.get(y)!, { count: 3 }), `flip ${i}: ${x} -> ${y}`).toBeGreaterThan(0);
        expect(await env.pingCount(y, ipOf.get(x)!, { count: 3 }), `flip ${i}: ${y} -> ${x}`).toBeGreaterThan(0);
      }
      // And TCP and UDP, every byte, both ways in both tenants.
      const flows = await trafficMatrix([A, B].flatMap((t) => [[t.ns[0]!, t.ns[1]!], [t.ns[1]!, t.ns[0]!]]).map(([x, y]) => (
        { from: env.workloads.path(x!), to: env.workloads.path(y!), ip: ipOf.get(y!)!, label: `flip ${i}: ${x} -> ${y}` })));
      expect(trafficProblems(flows, () => true)).toEqual([]);
    }
    // The arrangement did what it is for: a replugged port came back under a higher number.
    expect(raised).toBeGreaterThan(0);
  }, 120_000);
});

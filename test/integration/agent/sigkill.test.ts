import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentChild, AgentEnv, BRIDGE, eventually, monitorPids, pool, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems } from '../../helpers/traffic.js';

const TOTAL = 200;
const CHUNK = 10;
const KILL_AT = Math.ceil(TOTAL / 3);
const NAMES = Array.from({ length: TOTAL }, (_, i) => `sk-${String(i).padStart(3, '0')}`);

describe('agent killed with SIGKILL mid-burst of 200 namespaces, then restarted', () => {
  let env: AgentEnv;
  let first: AgentChild | undefined;
  let second: AgentChild | undefined;
  /** Rows in OVSDB when the first agent died: port name → recorded address. */
  let atKill = new Map<string, string>();
  /** Address inside each namespace that had a row when the first agent died. */
  const insideAtKill = new Map<string, string[]>();

  beforeAll(async () => {
    env = await AgentEnv.start('agent-sigkill');
    await env.writeManifest('tenants.yaml', tenantYaml('burst', 400, '10.40.0.0/16', ['sk-*']));
  });
  afterAll(async () => {
    await first?.kill();
    await second?.kill();
    await env?.stop();
  });

  it('ends with every namespace plugged exactly once, earlier addresses unchanged, nothing leaked', async () => {
    try {
      first = await AgentChild.start(env);
      await first.ready();
      // The burst: namespaces arrive in chunks while the agent plugs them. The agent dies once a third of the
      // host veths exist: veths come before their rows, so the kill tends to land between plumbing and record.
      const burst = (async () => {
        for (let i = 0; i < TOTAL; i += CHUNK) await env.workloads.add(...NAMES.slice(i, i + CHUNK));
      })();
      await eventually('a third of the veths created', async () => (await env.hostVeths()).size >= KILL_AT, 40_000, 10);
      await first.signal('SIGKILL');
      // Its flow monitor child dies with it (parent-death signal), so no orphan keeps watching.
      await eventually('the killed agent\'s flow monitor gone', async () => (await monitorPids(env.sb.mgmt(BRIDGE))).length === 0, 5_000, 50);
      await burst;
      const rows = await env.ownedInterfaces();
      atKill = new Map(rows.map((i) => [i.name, `${i.ids['nsvswitch-netns']} ${i.ids['nsvswitch-ip']}`]));
      const vethsAtKill = (await env.hostVeths()).size;
      expect(vethsAtKill).toBeGreaterThanOrEqual(KILL_AT);
      expect(atKill.size).toBeLessThan(TOTAL);
      await pool(rows, 8, async (i) => {
        const name = i.ids['nsvswitch-netns']!.split('/').pop()!;
        insideAtKill.set(name, (await env.nsInterface(name))?.addrs ?? []);
      });

      second = await AgentChild.start(env);
      await second.ready(60_000);
      const owned = await env.readyPorts(TOTAL, 40_000, 200);

      // Exactly once: one row per namespace, unique names, unique addresses.
      const nsPaths = owned.map((i) => i.ids['nsvswitch-netns']);
      expect(new Set(nsPaths).size).toBe(TOTAL);
      expect(new Set(nsPaths)).toEqual(new Set(NAMES.map((n) => env.workloads.path(n))));
      expect(new Set(owned.map((i) => i.ids['nsvswitch-ip'])).size).toBe(TOTAL);
      expect(owned.every((i) => i.ofport > 0)).toBe(true);

      // Ports recorded before the kill kept their row and address.
      for (const [name, rec] of atKill) {
        const now = owned.find((i) => i.name === name);
        expect(now, `port ${name} (${rec}) after restart`).toBeDefined();
        expect(`${now!.ids['nsvswitch-netns']} ${now!.ids['nsvswitch-ip']}`).toBe(rec);
      }

      // No leaked veth: our host links are exactly the recorded ports, and no namespace-side temp name is left in the host.
      const veths = await env.hostVeths();
      expect([...veths.keys()].sort()).toEqual(owned.map((i) => i.name).sort());
      expect((await env.hostLinks()).filter((l) => l.startsWith('nsp'))).toEqual([]);

      // Inside: each namespace has exactly its recorded address on eth0; earlier ones unchanged.
      const byNs = new Map(owned.map((i) => [i.ids['nsvswitch-netns']!.split('/').pop()!, i.ids['nsvswitch-ip']!]));
      const wrong = (await pool(NAMES, 8, async (n) => {
        const all = await env.nsLinks(n);
        const inside = all.find((l) => l.name === 'eth0');
        const want = [byNs.get(n)!];
        const links = all.length;
        const earlier = insideAtKill.get(n);
        const bad = JSON.stringify(inside?.addrs) !== JSON.stringify(want) || links !== 2 || (earlier !== undefined && JSON.stringify(earlier) !== JSON.stringify(want));
        return bad ? `${n}: inside ${JSON.stringify(inside?.addrs)} links ${links}, recorded ${want[0]}, before kill ${JSON.stringify(earlier)}` : '';
      })).filter(Boolean);
      expect(wrong).toEqual([]);

      // And the restarted agent's ports carry traffic.
      expect(await env.ping(NAMES[0]!, byNs.get(NAMES[TOTAL - 1]!)!.split('/')[0]!)).toBe(true);
      expect(trafficProblems(await env.trafficTo(NAMES[0]!, [byNs.get(NAMES[TOTAL - 1]!)!.split('/')[0]!]), () => true)).toEqual([]);

      // Graceful stop of the second agent exits 0.
      const exit = await second.signal('SIGTERM');
      expect(exit.code).toBe(0);
    } finally {
      await first?.kill();
      await second?.kill();
    }
  }, 120_000);
});

import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually, pool, tenantYaml } from '../../helpers/agent-env.js';
import { trafficProblems } from '../../helpers/traffic.js';

const RACE_MANIFEST = 'race.yaml';
const EDIT_MANIFEST = 'edit.yaml';
const TAKEN_MANIFEST = 'taken.yaml';

describe('agent races and manifest changes', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;

  /** Owned rows and host veths agree, and every row's namespace still exists with the recorded inode. */
  async function consistent(): Promise<{ rows: Awaited<ReturnType<AgentEnv['ownedInterfaces']>>; problems: string[] }> {
    const rows = await env.ownedInterfaces();
    const veths = await env.hostVeths();
    const problems: string[] = [];
    const names = new Set(rows.map((r) => r.name));
    for (const v of veths.keys()) if (!names.has(v)) problems.push(`veth ${v} without a row`);
    for (const r of rows) {
      if (!veths.has(r.name)) problems.push(`row ${r.name} without a veth`);
      const path = r.ids['nsvswitch-netns']!;
      const st = await stat(path).catch(() => undefined);
      // A namespace file's inode as the agent reads it is the nsfs inode behind the mount.
      if (!st) problems.push(`row ${r.name} for vanished namespace ${path}`);
      else if (String(st.ino) !== r.ids['nsvswitch-netns-inode']) problems.push(`row ${r.name} for an old incarnation of ${path}`);
    }
    return { rows, problems };
  }

  beforeAll(async () => {
    env = await AgentEnv.start('agent-races');
    await env.writeManifest(RACE_MANIFEST, tenantYaml('race', 500, '10.50.0.0/16', ['rc-*']));
    await env.writeManifest(EDIT_MANIFEST, tenantYaml('edit', 510, '10.51.0.0/24', ['ed-*'], '  interface: { name: eth0, mtu: 1500 }\n'));
    await env.workloads.add('ed-1', 'ed-2');
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await agent.ready;
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('namespaces deleted while being plugged leave nothing behind (no veth, no row)', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `rc-${i}`);
    const doomed = names.filter((_, i) => i % 2 === 1);
    // Created in small groups, half deleted at once (before, during or after the agent plugs them).
    for (let i = 0; i < names.length; i += 8) {
      const group = names.slice(i, i + 8);
      await env.workloads.add(...group);
      await env.workloads.remove(...group.filter((n) => doomed.includes(n)));
    }
    // And some re-created under the same name: a new namespace, a new port.
    await env.workloads.remove('rc-0', 'rc-2');
    await env.workloads.add('rc-0', 'rc-2');
    // A second wave, hit while the agent is plugging it: deletions and re-creations once its first veth shows up.
    const wave = Array.from({ length: 30 }, (_, i) => `rc-w${i}`);
    const vethsBefore = (await env.hostVeths()).size;
    await env.workloads.add(...wave);
    await eventually('the agent plugging the wave', async () => (await env.hostVeths()).size > vethsBefore, 10_000, 5);
    const waveDoomed = wave.filter((_, i) => i % 3 === 0);
    const waveReborn = wave.filter((_, i) => i % 3 === 1);
    await env.workloads.remove(...waveDoomed, ...waveReborn);
    await env.workloads.add(...waveReborn);
    doomed.push(...waveDoomed);
    names.push(...wave);
    const survivors = names.filter((n) => !doomed.includes(n));
    const end = await eventually('the survivors plugged, and only they', async () => {
      const c = await consistent();
      const race = c.rows.filter((r) => r.ids['nsvswitch-tenant'] === 'race');
      return race.length === survivors.length && race.every((r) => r.ids['nsvswitch-installed'] === 'true') && c.problems.length === 0 && race;
    }, 30_000, 100);
    expect(end.map((r) => r.ids['nsvswitch-netns']!.split('/').pop()).sort()).toEqual([...survivors].sort());
    expect(new Set(end.map((r) => r.ids['nsvswitch-ip'])).size).toBe(survivors.length);
    // The re-created ones are plugged and carry traffic.
    const ip2 = end.find((r) => r.ids['nsvswitch-netns']!.endsWith('/rc-2'))!.ids['nsvswitch-ip']!.split('/')[0]!;
    expect(await env.ping('rc-0', ip2)).toBe(true);
    expect(trafficProblems(await env.trafficTo('rc-0', [ip2]), () => true)).toEqual([]);
    // Nothing else in the host namespace either: no temporary peer names left behind.
    expect((await env.hostLinks()).filter((l) => l.startsWith('nsp'))).toEqual([]);
  });

  it('an interface name already taken inside a namespace is a clear per-namespace error; others are plugged', async () => {
    await env.workloads.add('tk-1', 'tk-2');
    // Someone else's eth0 is there before the tenant claims the namespace.
    await env.inNs('tk-1', 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0peer']);
    await env.writeManifest(TAKEN_MANIFEST, tenantYaml('taken', 520, '10.52.0.0/24', ['tk-*']));
    const tk1 = env.workloads.path('tk-1');
    const err = await eventually('an error for tk-1 in status', async () => agent!.status().errors.find((e) => e.namespace === tk1));
    expect(err.reason).toMatch(/eth0/);
    expect(err.reason).toMatch(/taken/);
    expect(err.reason).toContain(tk1);
    const ns = agent!.status().namespaces.find((n) => n.path === tk1);
    expect(ns).toMatchObject({ state: 'error', tenant: 'taken' });
    // The other namespace of the tenant is plugged and ready; tk-1 has no row and no veth; its own eth0 is untouched.
    await eventually('tk-2 ready', async () => agent!.status().namespaces.find((n) => n.path === env.workloads.path('tk-2'))?.state === 'ready');
    // tk-1 is retried with backoff, and each try holds a veth for a moment (created, sealed, refused
    // inside, rolled back): the invariant is that none stays, so look until a snapshot falls between tries.
    // The namespace's own links are read in the same moment: a try may move its temporary peer in meanwhile.
    const { c, inside } = await eventually('no veth without a row, and no peer left inside, between retries', async () => {
      const snap = await consistent();
      const links = await env.nsLinks('tk-1');
      const settled = snap.problems.length === 0 && links.length === 3 && (await consistent()).problems.length === 0;
      return settled ? { c: snap, inside: links } : undefined;
    }, 10_000, 100);
    expect(c.problems).toEqual([]);
    expect(c.rows.filter((r) => r.ids['nsvswitch-netns'] === tk1)).toEqual([]);
    expect(inside.map((l) => l.name).sort()).toEqual(['eth0', 'eth0peer', 'lo']);
    expect(inside.find((l) => l.name === 'eth0')?.addrs).toEqual([]);

    // Once the name is free, a retry plugs it and the error clears.
    await env.inNs('tk-1', 'ip', ['link', 'del', 'eth0']);
    await eventually('tk-1 plugged after the name is freed', async () => agent!.status().namespaces.find((n) => n.path === tk1)?.state === 'ready', 30_000, 100);
    expect(agent!.status().errors.filter((e) => e.namespace === tk1)).toEqual([]);
  });

  it('a manifest edit that changes the MTU replugs the tenant\'s ports with the new MTU', async () => {
    const before = await env.nsInterface('ed-1');
    expect(before?.mtu).toBe(1500);
    await env.writeManifest(EDIT_MANIFEST, tenantYaml('edit', 510, '10.51.0.0/24', ['ed-*'], '  interface: { name: eth0, mtu: 1400 }\n'));
    await eventually('MTU 1400 inside both namespaces and in the records', async () => {
      const rows = (await env.ownedInterfaces()).filter((r) => r.ids['nsvswitch-tenant'] === 'edit');
      const inside = await pool(['ed-1', 'ed-2'], 2, (n) => env.nsInterface(n));
      return rows.length === 2 && rows.every((r) => r.ids['nsvswitch-mtu'] === '1400' && r.ids['nsvswitch-installed'] === 'true') && inside.every((i) => i?.mtu === 1400);
    });
    // Same subnet: the addresses stay.
    expect((await env.nsInterface('ed-1'))?.addrs).toEqual(before?.addrs);
    const ip2 = (await env.nsInterface('ed-2'))!.addrs[0]!.split('/')[0]!;
    expect(await env.ping('ed-1', ip2)).toBe(true);
    expect(trafficProblems(await env.trafficTo('ed-1', [ip2]), () => true)).toEqual([]);
    expect((await consistent()).problems).toEqual([]);
  });

  it('a manifest edit that changes the subnet gives the tenant\'s namespaces new addresses', async () => {
    await env.writeManifest(EDIT_MANIFEST, tenantYaml('edit', 510, '10.61.0.0/24', ['ed-*'], '  interface: { name: eth0, mtu: 1400 }\n'));
    const inside = await eventually('addresses in 10.61.0.0/24', async () => {
      const rows = (await env.ownedInterfaces()).filter((r) => r.ids['nsvswitch-tenant'] === 'edit');
      const i = await pool(['ed-1', 'ed-2'], 2, (n) => env.nsInterface(n));
      return rows.length === 2 && rows.every((r) => r.ids['nsvswitch-ip']!.startsWith('10.61.0.') && r.ids['nsvswitch-installed'] === 'true') &&
        i.every((x) => x?.addrs.length === 1 && x.addrs[0]!.startsWith('10.61.0.')) && i;
    });
    expect(new Set(inside.map((i) => i!.addrs[0])).size).toBe(2);
    expect(await env.ping('ed-1', inside[1]!.addrs[0]!.split('/')[0]!)).toBe(true);
    expect(trafficProblems(await env.trafficTo('ed-1', [inside[1]!.addrs[0]!.split('/')[0]!]), () => true)).toEqual([]);
    expect((await consistent()).problems).toEqual([]);
  });

  it('a deleted tenant loses its ports (rows, veths, addresses); other tenants keep theirs', async () => {
    const others = (await env.ownedInterfaces()).filter((r) => r.ids['nsvswitch-tenant'] !== 'edit');
    const otherVeths = await env.hostVeths();
    await env.removeManifest(EDIT_MANIFEST);
    await eventually('edit ports removed', async () => (await env.ownedInterfaces()).every((r) => r.ids['nsvswitch-tenant'] !== 'edit'));
    // Rows go first (one transaction), their veths right after (one ip batch): wait for the pass to finish.
    const c = await eventually('veths gone with their rows', async () => {
      const snap = await consistent();
      return snap.problems.length === 0 ? snap : undefined;
    }, 10_000, 100);
    expect(c.problems).toEqual([]);
    expect(c.rows.map((r) => r.name).sort()).toEqual(others.map((r) => r.name).sort());
    for (const r of c.rows) expect((await env.hostVeths()).get(r.name)).toBe(otherVeths.get(r.name));
    // Inside the namespaces: the interface went with the veth.
    expect((await env.nsLinks('ed-1')).map((l) => l.name)).toEqual(['lo']);
    expect(agent!.status().namespaces.find((n) => n.path === env.workloads.path('ed-1'))?.state).toBe('unmatched');
  });
});

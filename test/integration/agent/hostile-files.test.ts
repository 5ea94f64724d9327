import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { Agent } from '../../../src/agent/agent.js';
import { run } from '../../../src/exec/run.js';
import type { StatusReport } from '../../../src/observe/status-types.js';
import { AgentEnv, eventually, metricSum, tenantYaml } from '../../helpers/agent-env.js';

const BIN = join(import.meta.dirname, '../../../bin/nsvswitch.js');
const REFUSED_MSG = 'refusing namespace file: it is never plugged';

/** IPv4 addresses (with prefix) and link names of a network namespace, one `ip` process (undefined netns: our own). */
async function linksAndAddrs(netns?: string): Promise<{ links: string[]; addrs: string[] }> {
  const r = await run('ip', ['-j', 'addr', 'show'], netns !== undefined ? { netns } : {});
  const j = JSON.parse(r.stdout || '[]') as { ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return {
    links: j.map((l) => l.ifname).sort(),
    addrs: j.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).sort(),
  };
}

const inTenantSubnets = (addr: string): boolean => addr.startsWith('10.30.') || addr.startsWith('10.40.');

/**
 * A real agent against hostile files in its watched directory: a symlink
 * and a bind mount of its own network namespace, a bind mount of the host
 * namespace OVS runs in, a symlink alias of a plugged workload, and the same
 * namespace mounted under two names. Each ends with nothing plugged for the
 * hostile file and exactly one status entry; the real workloads work, once.
 */
describe('agent: hostile files in a namespace directory', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  const refusedLogs = (path: string) => records.filter((r) => r.msg === REFUSED_MSG && r.path === path);
  let ownBefore: { links: string[]; addrs: string[] };
  const p = (name: string) => env.workloads.path(name);

  beforeAll(async () => {
    env = await AgentEnv.start('hostile-files');
    await env.writeManifest('tenants.yaml', [
      tenantYaml('red', 300, '10.30.0.0/24', ['red-*']),
      tenantYaml('green', 400, '10.40.0.0/24', ['green-*']),
    ].join('---\n'));
  });
  afterAll(async () => {
    await agent?.stop();
    // Links first: `umount` of a symlink would act on what it points to.
    for (const name of ['green-self', 'green-alias']) if ((await lstat(p(name)).catch(() => undefined))?.isSymbolicLink()) await rm(p(name));
    await env?.stop();
  });

  /** Every hostile file: path → the refusal reason expected in /status. */
  const hostile = (): Map<string, string> => new Map([
    [p('green-self'), 'symlink'],
    [p('green-self-mount'), 'agent-namespace'],
    [p('red-host'), 'host-namespace'],
    [p('green-alias'), 'symlink'],
    [p('red-dup'), 'alias'],
    [p('green-2b'), 'alias'],
  ]);

  async function expectNothingPluggedFor(paths: readonly string[], owned: number): Promise<void> {
    const ifaces = await env.ownedInterfaces();
    expect(ifaces).toHaveLength(owned);
    for (const path of paths) expect(ifaces.filter((i) => i.ids['nsvswitch-netns'] === path)).toEqual([]);
    // One host veth per owned port, no more.
    expect([...(await env.hostVeths()).keys()].sort()).toEqual(ifaces.map((i) => i.name).sort());
  }

  async function expectWorkloadOnce(name: string, tenantPrefix: string): Promise<string> {
    const ifaces = (await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-netns'] === p(name));
    expect(ifaces).toHaveLength(1);
    const links = await env.nsLinks(name);
    expect(links.map((l) => l.name).sort()).toEqual(['eth0', 'lo']);
    const eth0 = links.find((l) => l.name === 'eth0');
    expect(eth0?.addrs).toHaveLength(1);
    expect(eth0?.addrs[0]?.startsWith(tenantPrefix)).toBe(true);
    return (eth0?.addrs[0] ?? '').split('/')[0] ?? '';
  }

  it('plugs the real workloads (the positive control), then refuses every hostile file with one status entry each', async () => {
    await env.workloads.add('red-1', 'red-2', 'green-1');
    ownBefore = await linksAndAddrs();
    agent = await Agent.start(env.config({ resyncIntervalMs: 1000 }), { logger });
    await agent.ready;
    await env.readyPorts(3);

    // (1) the agent's own namespace: by symlink, and bind-mounted as a file.
    await symlink(`/proc/${process.pid}/ns/net`, p('green-self'));
    await writeFile(p('green-self-mount'), '');
    await run('mount', ['--bind', `/proc/${process.pid}/ns/net`, p('green-self-mount')]);
    // (2) the host namespace OVS runs in (config hostNetns), bind-mounted at a watched path.
    await writeFile(p('red-host'), '');
    await run('mount', ['--bind', env.sb.hostNetns, p('red-host')]);
    // (3) an alias symlink of a plugged workload, matched by another tenant.
    await symlink('red-1', p('green-alias'));
    // (4) the same namespace under two names: red-1 again, and a new one mounted as green-2a then green-2b.
    await writeFile(p('red-dup'), '');
    await run('mount', ['--bind', p('red-1'), p('red-dup')]);
    await env.workloads.add('green-2a');
    await writeFile(p('green-2b'), '');
    await run('mount', ['--bind', p('green-2a'), p('green-2b')]);

    const expected = hostile();
    const status = await eventually('a status entry for every hostile file, green-2a ready', async () => {
      const s = agent!.status();
      const refused = s.errors.filter((e) => expected.has(e.namespace));
      const ready = s.namespaces.find((n) => n.path === p('green-2a'))?.state === 'ready';
      return refused.length === expected.size && ready && s;
    });
    for (const [path, reason] of expected) {
      const entries = status.errors.filter((e) => e.namespace === path);
      expect(entries, path).toHaveLength(1);
      expect(entries[0]!.reason.startsWith(`${reason}: `), entries[0]!.reason).toBe(true);
      expect(entries[0]!.reason).toContain(path);
      expect(status.namespaces.find((n) => n.path === path), path).toBeUndefined();
      expect(refusedLogs(path), path).toHaveLength(1);
    }
    expect(status.errors).toHaveLength(expected.size);
    expect(status.errors.find((e) => e.namespace === p('red-dup'))!.reason).toContain(JSON.stringify(p('red-1')));
    expect(status.errors.find((e) => e.namespace === p('green-2b'))!.reason).toContain(JSON.stringify(p('green-2a')));
    expect(status.errors.find((e) => e.namespace === p('red-host'))!.reason).toContain(env.sb.hostNetns);
  });

  it('leaves nothing plugged for them, and the real workloads work exactly once', async () => {
    // 4 ports: red-1, red-2, green-1, green-2a (the first name of the doubly mounted namespace).
    await expectNothingPluggedFor([...hostile().keys()], 4);
    const red2 = await expectWorkloadOnce('red-2', '10.30.0.');
    await expectWorkloadOnce('red-1', '10.30.0.');
    await expectWorkloadOnce('green-1', '10.40.0.');
    const green2a = await expectWorkloadOnce('green-2a', '10.40.0.');
    expect(await env.pingCount('red-1', red2, { count: 2 })).toBe(2);
    expect(await env.pingCount('green-1', green2a, { count: 2 })).toBe(2);
    // red-1 is in red only: the green alias did not make it a green workload.
    expect(await env.pingCount('red-1', green2a)).toBe(0);

    // Nothing arrived in the agent's own namespace, nor in the host namespace OVS runs in.
    // (Other suites may add links to the machine's namespace meanwhile: compare what a plug would have added.)
    const ownAfter = await linksAndAddrs();
    expect(ownAfter.addrs.filter(inTenantSubnets)).toEqual([]);
    expect(ownAfter.links.filter((l) => l === 'eth0')).toEqual(ownBefore.links.filter((l) => l === 'eth0'));
    const host = await linksAndAddrs(env.sb.hostNetns);
    expect(host.addrs.filter(inTenantSubnets)).toEqual([]);
    expect(host.links.filter((l) => l !== 'lo' && !l.startsWith('nsv') && !l.startsWith('ovs-') && l !== 'br-nsv')).toEqual([]);
  });

  it('does not retry them: rescans and full passes add no warning, no status entry, no failure', async () => {
    const before = agent!.status().errors;
    const warnings = records.filter((r) => r.msg === REFUSED_MSG).length;
    agent!.resync(true);
    // resyncIntervalMs 1000: two periodic rescans of the directory and two full passes.
    await new Promise((r) => setTimeout(r, 2500));
    expect(records.filter((r) => r.msg === REFUSED_MSG)).toHaveLength(warnings);
    expect(agent!.status().errors).toEqual(before);
    expect([...agent!.reconciler.failures.entries()]).toEqual([]);
    const m = await (await fetch(`http://${agent!.httpAddress!}/metrics`)).text();
    expect(metricSum(m, 'nsvswitch_namespace_refusals_total', 'reason="symlink"')).toBe(2);
    expect(metricSum(m, 'nsvswitch_namespace_refusals_total', 'reason="agent-namespace"')).toBe(1);
    expect(metricSum(m, 'nsvswitch_namespace_refusals_total', 'reason="host-namespace"')).toBe(1);
    expect(metricSum(m, 'nsvswitch_namespace_refusals_total', 'reason="alias"')).toBe(2);
    expect(metricSum(m, 'nsvswitch_namespaces_refused')).toBe(6);
    await expectNothingPluggedFor([...hostile().keys()], 4);
  });

  it('nsvswitch status lists each refused file with its reason', async () => {
    const r = await execa(process.execPath, [BIN, 'status', '--endpoint', `http://${agent!.httpAddress!}`], { reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    expect(r.exitCode).toBe(0);
    const out = String(r.stdout);
    expect(out).toContain('ERRORS');
    for (const [path, reason] of hostile()) expect(out).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+\\S+\\s+${reason}: `, 'm'));
    const json = JSON.parse(String((await execa(process.execPath, [BIN, 'status', '--json', '--endpoint', `http://${agent!.httpAddress!}`], { reject: false, timeout: 60_000 })).stdout)) as StatusReport;
    expect(json.errors.map((e) => e.namespace).sort()).toEqual([...hostile().keys()].sort());
  });

  it('picks a refused file up once it becomes acceptable: the alias symlink replaced by a real namespace', async () => {
    await rm(p('green-alias'));
    await env.workloads.add('green-alias');
    await eventually('green-alias plugged, its refusal gone', async () => {
      const s = agent!.status();
      return s.namespaces.find((n) => n.path === p('green-alias'))?.state === 'ready' && !s.errors.some((e) => e.namespace === p('green-alias'));
    });
    const ip = await expectWorkloadOnce('green-alias', '10.40.0.');
    expect(await env.pingCount('green-1', ip, { count: 2 })).toBe(2);
    await expectNothingPluggedFor([...hostile().keys()].filter((x) => x !== p('green-alias')), 5);
  });

  it('admits the alias when the first name goes: the namespace is plugged once, under the name left', async () => {
    await run('umount', [p('green-2a')]);
    await rm(p('green-2a'));
    await eventually('green-2b plugged in place of green-2a', async () => {
      const s = agent!.status();
      return s.namespaces.find((n) => n.path === p('green-2b'))?.state === 'ready' && !s.namespaces.some((n) => n.path === p('green-2a')) && !s.errors.some((e) => e.namespace === p('green-2b'));
    });
    await expectWorkloadOnce('green-2b', '10.40.0.');
    const ifaces = await env.ownedInterfaces();
    expect(ifaces.filter((i) => i.ids['nsvswitch-netns'] === p('green-2a'))).toEqual([]);
    expect(ifaces).toHaveLength(5);
  });
});

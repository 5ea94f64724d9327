// The ovn backend end to end on two simulated hosts: one workload each, plugged through the northbound database,
// bound by ovn-controller, marked ready on ovn-installed, pinging across hosts; a restart writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OvnEnv, type OvnHost } from '../../helpers/ovn-env.js';
import { AgentChild, eventually, metricSum, tenantYaml } from '../../helpers/agent-env.js';
import { run } from '../../../src/exec/run.js';

describe('backend ovn on two hosts', () => {
  let env: OvnEnv | undefined;
  const agents: AgentChild[] = [];
  const start = async (h: OvnHost, dir: string): Promise<AgentChild> => {
    const a = AgentChild.startIn(h.hostNetns, env!.agentArgs(h, dir, ['--log-level', 'info']));
    agents.push(a);
    await a.ready(90_000).catch((err: unknown) => {
      throw new Error(`agent on ${h.name}: ${String(err)}\n${a.log.slice(-3000)}`);
    });
    return a;
  };
  const addrOf = async (path: string): Promise<string | undefined> => {
    const r = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0'], { netns: path, okExitCodes: [1] });
    const [l] = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
    return l?.addr_info?.[0]?.local;
  };

  beforeAll(async () => {
    env = await OvnEnv.start({ hosts: 2, label: 'ovn-smoke' });
  }, 240_000);
  afterAll(async () => {
    for (const a of agents) await a.kill();
    await env?.stop();
  });

  it('plugs a workload per host, ready on ovn-installed, pings across; trace, restart with zero writes, removal, forget-chassis and uninstall', async () => {
    const e = env!;
    const [h1, h2] = e.hosts as [OvnHost, OvnHost];
    const dirs: string[] = [];
    for (const h of [h1, h2]) {
      const dir = join(h.rundir, 'tenants.d');
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await writeFile(join(dir, 'blue.yaml'), tenantYaml('blue', 101, '10.1.0.0/24', ['blue-*']), { mode: 0o644 });
      dirs.push(dir);
    }
    const [a1] = await Promise.all([start(h1, dirs[0]!), start(h2, dirs[1]!)]);
    const [p1] = await h1.workloads.add('blue-a');
    const [p2] = await h2.workloads.add('blue-b');
    const ready = async (a: AgentChild, path: string) => eventually(`${path} ready`, async () => {
      const s = (await a.statusJson()) as { namespaces: { path: string; state: string }[]; ovn?: { ports: { namespace: string; installed: boolean }[] } };
      return s.namespaces.find((n) => n.path === path)?.state === 'ready' && s.ovn?.ports.find((p) => p.namespace === path)?.installed === true;
    }, 60_000, 200);
    await Promise.all([ready(a1, p1!), ready(agents[1]!, p2!)]);
    // /status: this chassis registered with its tunnel endpoint, the port bound here and up (southbound).
    await eventually('southbound view in /status', async () => {
      const s = (await a1.statusJson()) as { ovn?: { chassis: string; nb: { connected: boolean }; sb: { connected: boolean; chassisRegistered: boolean; encaps: string[] }; ports: { namespace: string; bound?: boolean; up?: boolean }[] } };
      const o = s.ovn;
      return o?.chassis === 'h1' && o.nb.connected && o.sb.connected && o.sb.chassisRegistered && o.sb.encaps.includes(`geneve ${h1.encapIp}`)
        && o.ports.some((p) => p.namespace === p1 && p.bound === true && p.up === true);
    }, 30_000, 200);
    const ip1 = await addrOf(p1!);
    const ip2 = await addrOf(p2!);
    expect(ip1).toBeDefined();
    expect(ip2).toBeDefined();
    expect(ip1).not.toBe(ip2);
    await eventually('ping across hosts', async () => (await run('ping', ['-c', '1', '-W', '1', ip2!], { netns: p1!, okExitCodes: [1] })).exitCode === 0, 30_000, 200);
    const lsps = await e.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch_Port', 'external_ids:nsvswitch-tenant=blue');
    expect(lsps.split('\n').filter(Boolean)).toHaveLength(2);

    // nsvswitch trace: ovn-trace's logical verdict plus ofproto/trace on the integration bridge.
    const cli = (h: OvnHost, dir: string, ...args: string[]) => run('nsenter', [`--net=${h.hostNetns}`, '--', process.execPath, join(process.cwd(), 'bin', 'nsvswitch.js'), ...args, ...e.agentArgs(h, dir).filter((a) => a !== '--backend' && a !== 'ovn'), '--backend', 'ovn'], { okExitCodes: [1, 2], env: h.env });
    const tr = await cli(h1, dirs[0]!, 'trace', 'blue-a', 'blue-b', '--raw');
    expect(tr.exitCode, `${tr.stdout}${tr.stderr}`).toBe(0);
    expect(tr.stdout).toMatch(/ALLOWED/);
    const [pr] = await h2.workloads.add('red-c');
    await writeFile(join(dirs[1]!, 'red.yaml'), tenantYaml('red', 102, '10.2.0.0/24', ['red-*']), { mode: 0o644 });
    await writeFile(join(dirs[0]!, 'red.yaml'), tenantYaml('red', 102, '10.2.0.0/24', ['red-*']), { mode: 0o644 });
    await ready(agents[1]!, pr!);
    const cross = await cli(h1, dirs[0]!, 'trace', 'blue-a', 'red-c');
    expect(cross.exitCode, `${cross.stdout}${cross.stderr}`).toBe(1);
    expect(cross.stdout).toMatch(/DROPPED/);
    if (process.env.NSVS_SHOW_TRACE) process.stdout.write(`${tr.stdout}\n${cross.stdout}\n`);

    // Restart host 1's agent: it adopts its port with zero northbound writes (and plugs nothing).
    await a1.signal('SIGTERM');
    const again = await start(h1, dirs[0]!);
    await new Promise((r) => setTimeout(r, 1000));
    const m = await again.metrics();
    expect(metricSum(m, 'nsvswitch_ovn_nb_transactions_total', 'kind="write"'), again.log).toBe(0);
    expect(metricSum(m, 'nsvswitch_ovsdb_transactions_total', 'kind="write"'), again.log).toBe(0);

    // A removed workload: its logical port goes.
    await h2.workloads.remove('blue-b');
    await eventually('blue-b logical port deleted', async () => (await e.nbctl('--bare', '--columns=name', 'find', 'Logical_Switch_Port', 'external_ids:nsvswitch-tenant=blue')).split('\n').filter(Boolean).length === 1, 30_000, 200);

    // A host gone for good: refused while its chassis is registered, done with --force; only its ports go.
    const refused = await cli(h1, dirs[0]!, 'ovn-forget-chassis', h2.systemId);
    expect(refused.exitCode, `${refused.stdout}${refused.stderr}`).toBe(1);
    expect(refused.stderr).toMatch(/still registered/);
    await agents[1]!.signal('SIGTERM');
    const forced = await cli(h1, dirs[0]!, 'ovn-forget-chassis', h2.systemId, '--force');
    expect(forced.exitCode, `${forced.stdout}${forced.stderr}`).toBe(0);
    expect(forced.stdout).toMatch(/deleted 1 logical port\(s\) of chassis h2/);
    const left = (await e.nbctl('--bare', '--columns=external_ids', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean);
    expect(left.every((l) => l.includes('nsvswitch-chassis=h1'))).toBe(true);

    // nsvswitch uninstall on h1 (agent stopped first): its local ports and its logical ports go; br-int stays.
    await again.signal('SIGTERM');
    const un = await cli(h1, dirs[0]!, 'uninstall', '--yes');
    expect(un.exitCode, `${un.stdout}${un.stderr}`).toBe(0);
    expect(un.stdout).toMatch(/logical port\(s\) of chassis h1/);
    expect((await e.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).trim()).toBe('');
    expect((await h1.vsctl('list-ports', 'br-int')).split('\n').filter((p) => p.startsWith('nsv'))).toEqual([]);
    expect((await e.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch')).split('\n').filter(Boolean).sort()).toEqual(['nsvs-blue', 'nsvs-red']);
  }, 300_000);
});

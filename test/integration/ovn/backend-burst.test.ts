// The ovn backend under a burst on two hosts at once: both agents allocate from the same lowest addresses,
// the northbound refuses the losers' claims, and every namespace ends plugged once with a unique address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OvnEnv, type OvnHost } from '../../helpers/ovn-env.js';
import { AgentChild, eventually, metricSum, tenantYaml } from '../../helpers/agent-env.js';
import { run } from '../../../src/exec/run.js';

const PER_HOST = 12;

describe('backend ovn: a burst on two hosts at once', () => {
  let env: OvnEnv | undefined;
  const agents: AgentChild[] = [];

  beforeAll(async () => {
    env = await OvnEnv.start({ hosts: 2, label: 'ovn-burst' });
  }, 240_000);
  afterAll(async () => {
    for (const a of agents) await a.kill();
    await env?.stop();
  });

  it('gives every namespace one logical port and a unique address across hosts, all installed', async () => {
    const e = env!;
    const hosts = e.hosts as OvnHost[];
    await Promise.all(hosts.map(async (h) => {
      const dir = join(h.rundir, 'tenants.d');
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await writeFile(join(dir, 'blue.yaml'), tenantYaml('blue', 101, '10.1.0.0/24', ['blue-*']), { mode: 0o644 });
      const a = AgentChild.startIn(h.hostNetns, e.agentArgs(h, dir));
      agents.push(a);
      await a.ready(90_000);
    }));
    const names = Array.from({ length: PER_HOST }, (_, i) => `blue-${i}`);
    const paths = await Promise.all(hosts.map((h) => h.workloads.add(...names)));
    await eventually(`${2 * PER_HOST} namespaces ready`, async () => {
      const st = await Promise.all(agents.map(async (a) => (await a.statusJson()) as { namespaces: { state: string }[] }));
      return st.every((s) => s.namespaces.length === PER_HOST && s.namespaces.every((n) => n.state === 'ready'));
    }, 120_000, 250);
    const addrs: string[] = [];
    for (const p of paths.flat()) {
      const r = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', 'eth0'], { netns: p });
      const [l] = JSON.parse(r.stdout) as { addr_info: { local: string }[] }[];
      addrs.push(l!.addr_info[0]!.local);
    }
    expect(new Set(addrs).size).toBe(2 * PER_HOST);
    const lsps = (await e.nbctl('--bare', '--columns=external_ids', 'find', 'Logical_Switch_Port', 'external_ids:nsvswitch-tenant=blue')).split('\n').filter(Boolean);
    expect(lsps).toHaveLength(2 * PER_HOST);
    const refused = (await Promise.all(agents.map(async (a) => metricSum(await a.metrics(), 'nsvswitch_ovn_claim_refusals_total')))).reduce((x, y) => x + y, 0);
    const writes = (await Promise.all(agents.map(async (a) => metricSum(await a.metrics(), 'nsvswitch_ovn_nb_transactions_total', 'kind="write"')))).reduce((x, y) => x + y, 0);
    process.stdout.write(`[ovn-burst] ${2 * PER_HOST} namespaces: ${refused} claim(s) refused in races, ${writes} northbound write transactions in all\n`);
  }, 300_000);
});

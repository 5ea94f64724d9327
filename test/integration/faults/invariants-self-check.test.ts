import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, tenantYaml } from '../../helpers/agent-env.js';
import { checkInvariants, type TenantExpectation } from '../../helpers/invariants.js';
import { FLOWS_PER_PORT, FLOWS_PER_TENANT, baseFlows } from '../../../src/core/pipeline/index.js';

const EXPECTED: Record<string, TenantExpectation> = {
  ica: { subnet: '10.95.0.0/24', names: ['ica-0', 'ica-1'] },
  icb: { subnet: '10.96.0.0/24', names: ['icb-0', 'icb-1'] },
};

/** The fault tests are only as good as their final check: each kind of damage must make it fail. */
describe('checkInvariants catches what it promises to catch', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const violations = (opts: { expectedByTenant: Record<string, TenantExpectation>; flowContent?: boolean } = { expectedByTenant: EXPECTED }): Promise<string> =>
    checkInvariants(env, { ...opts, settleMs: 1_000 }).then(() => 'held', (e: Error) => e.message);

  beforeAll(async () => {
    env = await AgentEnv.start('fault-selfcheck');
    await env.writeManifest('t.yaml', [tenantYaml('ica', 951, '10.95.0.0/24', ['ica-*']), tenantYaml('icb', 952, '10.96.0.0/24', ['icb-*'])].join('---\n'));
    await env.workloads.add(...Object.values(EXPECTED).flatMap((e) => e.names));
    agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await agent.ready;
    // From here on OVS is damaged by hand: no agent may repair it.
    await checkInvariants(env, { expectedByTenant: EXPECTED });
    await agent.stop();
    agent = undefined;
  });
  afterAll(async () => {
    await agent?.stop();
    await env?.stop();
  });

  it('a plugged namespace that should not be, and an address outside the subnet', async () => {
    expect(await violations({ expectedByTenant: { ...EXPECTED, icb: { subnet: '10.96.0.0/24', names: ['icb-0'] } } })).toMatch(/icb-1 that should not be plugged/);
    expect(await violations({ expectedByTenant: { ...EXPECTED, icb: { subnet: '10.97.0.0/24', names: ['icb-0', 'icb-1'] } } })).toMatch(/outside 10\.97\.0\.0\/24/);
  });

  it('a veth of our naming without a row, and a flow that is not ours', async () => {
    await env.sb.inHost('ip', ['link', 'add', 'nsv0123456789ab', 'type', 'veth', 'peer', 'name', 'selfcheck0']);
    await env.sb.ofctl('-O', 'OpenFlow15', 'add-flow', env.sb.mgmt(BRIDGE), 'table=0,priority=1,udp,actions=drop');
    const v = await violations();
    expect(v).toMatch(/host veths without a row: nsv0123456789ab/);
    // The pipeline of 4 ports in 2 tenants, plus the one foreign flow.
    const want = baseFlows().length + FLOWS_PER_PORT * 4 + FLOWS_PER_TENANT * 2;
    expect(v).toContain(`${want + 1} flows on br-nsv (want ${want} `);
    await env.sb.inHost('ip', ['link', 'del', 'nsv0123456789ab']);
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'del-flows', env.sb.mgmt(BRIDGE), 'table=0,priority=1,udp');
    expect(await violations()).toBe('held');
  });

  it('a flow with the right match and the wrong action, and a unicast flow to the wrong port (same flow count)', async () => {
    const rows = await env.ownedInterfaces();
    const [a, b] = rows as [(typeof rows)[number], (typeof rows)[number]];
    const unicast = `table=20,priority=100,metadata=0x${Number(a.ids['nsvswitch-tenant-id']).toString(16)},dl_dst=${a.ids['nsvswitch-mac']}`;
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'mod-flows', env.sb.mgmt(BRIDGE), `${unicast},actions=output:${b.ofport}`);
    expect(await violations()).toMatch(new RegExp(`flow with other actions than table=20,priority=100,metadata=\\S+,dl_dst=${a.ids['nsvswitch-mac']} actions=output:${a.ofport}`));
    await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'mod-flows', env.sb.mgmt(BRIDGE), `${unicast},actions=output:${a.ofport}`);
    expect(await violations()).toBe('held');
  });

  it('broken isolation with the same flow count (table misses flood), and an extra address inside a namespace', async () => {
    for (const t of [10, 20]) await env.sb.ofctl('-O', 'OpenFlow15', '--strict', 'mod-flows', env.sb.mgmt(BRIDGE), `table=${t},priority=0,actions=NORMAL`);
    expect(await violations()).toMatch(/flow with other actions than table=10,priority=0, actions=goto_table:20/);
    // The pings catch it on their own too, with flows that look right by count; so do TCP and UDP.
    const traffic = await violations({ expectedByTenant: EXPECTED, flowContent: false });
    expect(traffic).toMatch(/cross tenant: \S+ reached \S+ \(\S+\) with \d+ replies/);
    expect(traffic).toMatch(/cross tenant: \S+ reached \S+ \(\S+\) with TCP\/UDP, or could not tell: .*TCP 16384\/16384 B in 1 conn, connected; UDP 8\/8 datagrams/);
    await env.inNs('ica-0', 'ip', ['addr', 'add', '10.95.0.99/24', 'dev', 'eth0']);
    expect(await violations({ expectedByTenant: EXPECTED, flowContent: false })).toMatch(/namespace ica-0: eth0 has 10\.95\.0\.\d+\/24,10\.95\.0\.99\/24/);
  });
});

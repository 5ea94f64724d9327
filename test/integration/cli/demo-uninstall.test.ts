import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { run } from '../../../src/exec/run.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, BRIDGE, eventually, tenantYaml } from '../../helpers/agent-env.js';

describe('nsvswitch demo (the README\'s first command, without the install step)', () => {
  it('starts a private OVS, plugs the example namespaces, passes its isolation checks and cleans up', async () => {
    const r = await run('node', ['bin/nsvswitch.js', 'demo', '--once'], { okExitCodes: [1], timeoutMs: 120_000 });
    expect(r.stdout).toMatch(/blue-1\s+blue\s+ready\s+10\.10\.0\.\d+\/24/);
    expect(r.stdout).toMatch(/blue-1\s+-> green-1 .* blocked\s+as expected/);
    expect(r.stdout).toContain('all checks passed');
    expect(r.exitCode).toBe(0);
  });
});

describe('nsvswitch uninstall', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    env = await AgentEnv.start('uninstall');
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('removes owned ports, veths, flows and the bridge it created, and nothing else', async () => {
    await env.workloads.add('blue-1', 'blue-2');
    const agent = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    await eventually('2 ready ports', async () => (await env.ownedInterfaces()).filter((i) => i.ids['nsvswitch-installed'] === 'true').length === 2);
    await agent.stop();
    await env.sb.addBridge('br-foreign');
    const flags = ['--ovsdb', env.sb.dbEndpoint, '--ovs-rundir', env.sb.dir, '--bridge', BRIDGE, '--host-netns', env.sb.hostNetns];
    const refused = await run('node', ['bin/nsvswitch.js', 'uninstall', ...flags], { okExitCodes: [3] });
    expect(refused.exitCode).toBe(3);
    expect(await env.ownedInterfaces()).toHaveLength(2);
    const done = await run('node', ['bin/nsvswitch.js', 'uninstall', '--yes', ...flags]);
    expect(done.stdout).toContain(`removed 2 port(s) and bridge ${BRIDGE}`);
    expect((await env.sb.vsctl('list-br')).trim()).toBe('br-foreign');
    expect((await env.hostLinks()).filter((l) => l.startsWith('nsv'))).toEqual([]);
  });
});

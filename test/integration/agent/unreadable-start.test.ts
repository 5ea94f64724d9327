import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rename, symlink, unlink } from 'node:fs/promises';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, tenantYaml } from '../../helpers/agent-env.js';

describe('agent started while its manifest directory cannot be read', () => {
  let env: AgentEnv;
  const agents: Agent[] = [];
  let starting: Promise<Agent> | undefined;
  beforeAll(async () => {
    env = await AgentEnv.start('unreadable-start');
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*']));
  });
  afterAll(async () => {
    const late = await starting?.catch(() => undefined);
    if (late) agents.push(late);
    for (const a of agents) await a.stop();
    await env?.stop();
  });

  it('waits, not ready, keeping every port, and starts normally once the directory is back', async () => {
    await env.workloads.add('blue-1', 'blue-2');
    const first = await Agent.start(env.config(), { logger: silentLogger(), http: false });
    agents.push(first);
    const before = await env.readyPorts(2);
    await first.stop();

    const aside = `${env.manifestDir}.aside`;
    await rename(env.manifestDir, aside);
    await symlink(env.manifestDir, env.manifestDir); // a loop: every read fails with ELOOP
    let ready = false;
    starting = Agent.start(env.config(), { logger: silentLogger(), http: false });
    void starting.then(() => (ready = true), () => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ready).toBe(false);
    expect(await env.ownedInterfaces()).toEqual(before);

    await unlink(env.manifestDir);
    await rename(aside, env.manifestDir);
    const second = await starting;
    agents.push(second);
    starting = undefined;
    expect(second.status().ready).toBe(true);
    expect(await env.ownedInterfaces()).toEqual(before);
  });
});

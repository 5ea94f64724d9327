import { rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import type { Logger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually } from '../../helpers/agent-env.js';
import { FaultRecorder, PingLoop, envInt, sleep, faultExpectation, faultTenantYaml, withDualStack } from '../../helpers/faults.js';
import { checkInvariants, type TenantExpectation } from '../../helpers/invariants.js';

/** Namespaces per tenant (2 tenants). */
const PER_TENANT = envInt('NSVS_FAULT_UNREADABLE_PER_TENANT', 3);
/** How long a directory stays unreadable (ms): long enough for several rescans and passes. */
const OUTAGE_MS = 4_000;

const TENANTS = withDualStack([
  { name: 'ura', id: 901, subnet: '10.90.0.0/24' },
  { name: 'urb', id: 902, subnet: '10.91.0.0/24' },
]);

/** Log records of the agent, kept in memory so the test can see what it reported. */
function memoryLogger(): { logger: Logger; records: { level: number; msg: string; [k: string]: unknown }[] } {
  const records: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, records };
}

/*
 * Root ignores file modes, so "unreadable" is made the way it happens to
 * root: the configured path stops being a readable directory. The manifest
 * dir is swapped for a symlink loop (ELOOP); the namespace dir is configured
 * through a symlink, which is swapped to point at a regular file (ENOTDIR).
 * The namespaces themselves stay alive all along.
 */
describe('fault: a manifest dir or namespace dir that becomes unreadable', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  let loop: PingLoop | undefined;
  const rec = new FaultRecorder('unreadable-dirs');
  const log = memoryLogger();
  let nsLink = '';
  const present: Record<string, string[]> = Object.fromEntries(TENANTS.map((t) => [t.name, Array.from({ length: PER_TENANT }, (_, i) => `${t.name}-${i}`)]));
  const expected = (): Record<string, TenantExpectation> => Object.fromEntries(TENANTS.map((t) => [t.name, faultExpectation(t, [...present[t.name]!].sort())]));
  let manifestHeld = false;

  beforeAll(async () => {
    env = await AgentEnv.start('fault-unreadable');
    await env.writeManifest('tenants.yaml', TENANTS.map((t) => faultTenantYaml(t)).join('---\n'));
    await env.workloads.add(...Object.values(present).flat());
    nsLink = join(env.sb.dir, 'netns-link');
    await symlink(env.workloads.dir, nsLink);
    rec.namespacesHandled(TENANTS.length * PER_TENANT);
  });
  afterAll(async () => {
    await loop?.kill();
    await agent?.stop();
    await rec.write().catch(() => undefined);
    await env?.stop();
  });

  /** Our ports (name, address, ready marker), leaving out those of `except` namespaces. */
  const ports = async (except: string[] = []): Promise<string> => (await env.ownedInterfaces())
    .filter((i) => !except.some((n) => i.ids['nsvswitch-netns'] === join(nsLink, n)))
    .map((i) => `${i.name}:${i.ids['nsvswitch-ip']}:${i.ids['nsvswitch-installed']}`).sort().join(' ');

  it('manifest dir unreadable: working ports and traffic stay, the problem is reported, recovery once restored', async () => {
    agent = await Agent.start(env.config({ namespaceDirs: [nsLink], resyncIntervalMs: 2_000 }), { logger: log.logger, http: false });
    await agent.ready;
    await checkInvariants(env, { expectedByTenant: expected(), nsDir: nsLink, samplePairs: 1 });
    const dst = (await env.ownedInterfaces()).find((i) => i.ids['nsvswitch-netns'] === join(nsLink, 'ura-1'))!.ids['nsvswitch-ip']!.split('/')[0]!;
    loop = PingLoop.start(join(nsLink, 'ura-0'), dst);
    await eventually('ping loop answered', async () => loop!.replies >= 5, 10_000, 50);
    const portsBefore = await ports();

    const away = `${env.manifestDir}.away`;
    await rename(env.manifestDir, away);
    await symlink(env.manifestDir, env.manifestDir); // A loop: every look at the path fails with ELOOP.
    rec.fault('manifest dir unreadable (ELOOP)');
    const since = Date.now();
    try {
      const problem = await eventually('the problem in /status', async () => agent!.status().problems.find((p) => p.message.includes('cannot read manifest directory')), 10_000, 100);
      expect(problem.message).toContain('ELOOP');
      expect(log.records.some((r) => r.msg.includes('manifest directory cannot be read'))).toBe(true);
      await sleep(OUTAGE_MS);
      // Nothing removed, nothing re-plugged, traffic kept flowing.
      expect(await ports()).toBe(portsBefore);
      expect(loop.repliesSince(since + 1_000)).toBeGreaterThan(10);
    } finally {
      await unlink(env.manifestDir);
      await rename(away, env.manifestDir);
    }
    await eventually('the problem cleared', async () => agent!.status().problems.length === 0, 10_000, 100);
    const report = await checkInvariants(env, { expectedByTenant: expected(), nsDir: nsLink });
    expect(await ports()).toBe(portsBefore);
    rec.checked(report);
    manifestHeld = true;
  }, 90_000);

  it('namespace dir unreadable: working ports and traffic stay, the problem is logged, changes made meanwhile are applied once restored', async () => {
    const portsBefore = await ports(['ura-2']);
    const since = Date.now();
    const file = join(env.sb.dir, 'not-a-dir');
    await writeFile(file, '');
    const swap = async (target: string): Promise<void> => {
      const tmp = `${nsLink}.tmp`;
      await symlink(target, tmp);
      await rename(tmp, nsLink);
    };
    await swap(file);
    rec.fault('namespace dir unreadable (ENOTDIR)');
    try {
      await eventually('the problem logged', async () => log.records.find((r) => r.msg === 'namespace directory unreadable' && JSON.stringify(r).includes('ENOTDIR')), 10_000, 100);
      const shown = agent!.status().errors.find((e) => e.reason.startsWith('namespace directory unreadable') && e.reason.includes('ENOTDIR'));
      expect(shown?.namespace).toBe(nsLink);
      // Meanwhile one namespace comes, one goes: the agent cannot see either yet.
      await env.workloads.add('urb-new');
      await env.workloads.remove('ura-2');
      present.urb!.push('urb-new');
      present.ura = present.ura!.filter((n) => n !== 'ura-2');
      rec.namespacesHandled(2);
      await sleep(OUTAGE_MS);
      // The ports of namespaces it can no longer list are not torn down (ura-2's veth died with its namespace,
      // so its port may go); traffic kept flowing.
      expect(await ports(['ura-2'])).toBe(portsBefore);
      expect(loop!.repliesSince(since + 1_000)).toBeGreaterThan(10);
    } finally {
      await swap(env.workloads.dir);
    }
    await eventually('the namespace dir problem cleared from /status', async () => !agent!.status().errors.some((e) => e.namespace === nsLink), 20_000, 100);
    const report = await checkInvariants(env, { expectedByTenant: expected(), nsDir: nsLink, settleMs: 30_000 });
    const tally = await loop!.stop();
    loop = undefined;
    rec.note('pingLoopThroughBothOutages', tally);
    rec.checked(report);
    expect(tally.lost).toBe(0);
    rec.passed = manifestHeld;
  }, 90_000);
});

// The northbound side on a real 3-member Raft cluster of OVN's NB schema: three "hosts" claim ports in
// batches while the leader is SIGKILLed; every port ends in the database exactly once, addresses unique.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../../src/exec/run.js';
import { isAlive, killByPidFile, readPidFile } from '../../../src/sandbox/pid-file.js';
import { OvsdbClient } from '../../../src/ovsdb/index.js';
import { OVN_NB_DB } from '../../../src/ovsdb/ovn-nb/nb-rows.js';
import { OvnNorthbound } from '../../../src/agent/ovn/ovn-nb.js';
import { desiredLsp, desiredSwitch } from '../../../src/core/ovn/logical-records.js';
import { lspMatches, nbView } from '../../../src/core/ovn/nb-view.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { freePort } from '../../helpers/agent-env.js';

const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
const SIZE = 3;

describe('OvnNorthbound on a northbound Raft cluster whose leader is killed mid-burst', () => {
  let dir = '';
  const raftPorts: number[] = [];
  const sock = (i: number) => join(dir, `nb${i}.sock`);
  const pidFile = (i: number) => join(dir, `nb${i}.pid`);
  const ctl = (i: number) => join(dir, `nb${i}.ctl`);
  const clients: OvsdbClient[] = [];
  const sides: OvnNorthbound[] = [];

  const startMember = async (i: number) => {
    await run('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${pidFile(i)}`, `--unixctl=${ctl(i)}`, `--log-file=${join(dir, `nb${i}.log`)}`,
      `--remote=punix:${sock(i)}`, join(dir, `nb${i}.db`)]);
  };
  const role = async (i: number): Promise<string> => {
    const r = await run('ovs-appctl', ['-t', ctl(i), 'cluster/status', OVN_NB_DB], { okExitCodes: [1, 2], timeoutMs: 5000 });
    return /Role: (\w+)/.exec(r.stdout)?.[1] ?? 'unknown';
  };
  const leader = async (): Promise<number> => {
    for (let t = 0; t < 400; t++) {
      for (let i = 0; i < SIZE; i++) if ((await readPidFile(pidFile(i))) !== undefined && (await role(i)) === 'leader') return i;
      await sleep(50);
    }
    throw new Error('no leader');
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'nsvs-ovn-raft-'));
    for (let i = 0; i < SIZE; i++) raftPorts.push(await freePort());
    const raft = (i: number) => `tcp:127.0.0.1:${raftPorts[i]}`;
    await run('ovsdb-tool', ['create-cluster', join(dir, 'nb0.db'), NB_SCHEMA, raft(0)]);
    for (let i = 1; i < SIZE; i++) await run('ovsdb-tool', ['join-cluster', join(dir, `nb${i}.db`), OVN_NB_DB, raft(i), raft(0)]);
    for (let i = 0; i < SIZE; i++) await startMember(i);
    for (let i = 0; i < SIZE; i++) await run('ovsdb-client', ['--timeout=60', 'wait', `unix:${sock(i)}`, OVN_NB_DB, 'connected'], { timeoutMs: 65_000 });
  }, 120_000);
  afterAll(async () => {
    for (const s of sides) await s.stop();
    for (const c of clients) await c.close();
    for (let i = 0; i < SIZE; i++) if (dir) await killByPidFile(pidFile(i), 'SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ends with every port claimed exactly once and unique addresses, all hosts following the new leader', async () => {
    const remotes = Array.from({ length: SIZE }, (_, i) => `unix:${sock(i)}`).join(',');
    for (const h of ['h1', 'h2', 'h3']) {
      const c = await OvsdbClient.connect(remotes, { leaderOnly: true, databases: [OVN_NB_DB] });
      clients.push(c);
      sides.push(await OvnNorthbound.start(c, h, silentLogger()));
    }
    const PER_HOST = 40;
    const BATCH = 5;
    const errors: string[] = [];
    // The leader is found before the burst (finding it runs a process per member): the kill then lands
    // within a few milliseconds of the first ports going in, not after a fast burst has finished.
    const killed = await leader();
    const leaderPid = await readPidFile(pidFile(killed));
    const burst = sides.map(async (side, hi) => {
      const names = Array.from({ length: PER_HOST }, (_, i) => `nsv${hi}p${String(i).padStart(2, '0')}`);
      let done = 0;
      while (done < PER_HOST) {
        try {
          await side.ensureSwitches(nbView(side.snapshot(), side.systemId).switches.has('nsvs-blue') ? [] : [desiredSwitch('blue', 100)]);
          // What a pass does: this host's ports in place are adopted, the rest claimed with addresses nobody else holds.
          const view = nbView(side.snapshot(), side.systemId);
          const held = view.elsewhereAddresses.get('blue') ?? new Set<string>();
          const mine = new Map([...view.own.values()].map((l) => [l.name, l]));
          const taken = new Set([...held, ...[...mine.values()].map((l) => l.ip)]);
          const free = Array.from({ length: 250 }, (_, i) => `10.10.0.${i + 2}`).filter((ip) => !taken.has(ip));
          let f = 0;
          const want = names.slice(0, Math.min(PER_HOST, done + BATCH)).map((hostIf, i) => {
            const name = `nsvs-${side.systemId}-${hostIf}`;
            const own = mine.get(name);
            return own ?? { hostIf, ip: free[f++]!, mac: `02:10:00:00:${hi.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}` };
          });
          const toClaim = want.flatMap((w) => ('uuid' in w ? [] : [desiredLsp({ key: `/run/netns/${w.hostIf}#1`, hostIf: w.hostIf, tenant: 'blue', tenantId: 100, ip: w.ip, mac: w.mac }, side.systemId)]));
          await side.claim(toClaim);
          const now = nbView(side.snapshot(), side.systemId).own;
          done = names.filter((n) => now.has(`nsvs-${side.systemId}-${n}`)).length;
          for (const l of now.values()) {
            const d = desiredLsp({ key: l.key, hostIf: l.name.slice(`nsvs-${side.systemId}-`.length), tenant: 'blue', tenantId: 100, ip: l.ip, mac: l.mac }, side.systemId);
            expect(lspMatches(l, d)).toBe(true);
          }
        } catch (err) {
          errors.push(`${side.systemId}: ${(err as Error).message}`);
          await sleep(100);
        }
      }
    });
    // Kill the leader once the burst is under way (some ports in, most not).
    const inDb = () => sides.reduce((n, side) => n + nbView(side.snapshot(), side.systemId).own.size, 0);
    while (inDb() < 5) await sleep(1);
    const atKill = inDb();
    const pid = leaderPid;
    process.kill(pid!, 'SIGKILL');
    while (isAlive(pid!)) await sleep(10);
    await rm(pidFile(killed), { force: true });
    await Promise.race([Promise.all(burst), sleep(60_000).then(() => {
      throw new Error(`burst not done within 60 s after the leader was killed; errors: ${errors.slice(0, 5).join(' | ')}`);
    })]);
    await startMember(killed);

    const survivor = [0, 1, 2].find((i) => i !== killed)!;
    const out = await run('ovsdb-client', ['--format=json', 'dump', `unix:${sock(survivor)}`, OVN_NB_DB, 'Logical_Switch_Port', 'name', 'external_ids']);
    const doc = JSON.parse(out.stdout) as { headings: string[]; data: unknown[][] } | { headings: string[]; data: unknown[][] }[];
    const table = Array.isArray(doc) ? doc[0]! : doc;
    const iName = table.headings.indexOf('name');
    const iIds = table.headings.indexOf('external_ids');
    const rows = table.data.map((r) => ({ name: String(r[iName]), ids: new Map((r[iIds] as [string, [string, string][]])[1]) }));
    expect(rows).toHaveLength(3 * PER_HOST);
    expect(new Set(rows.map((r) => r.name)).size).toBe(3 * PER_HOST);
    const ips = rows.map((r) => r.ids.get('nsvswitch-ip'));
    expect(new Set(ips).size).toBe(3 * PER_HOST);
    // The leader was really lost under the writers, and nothing hung.
    expect(atKill).toBeLessThan(3 * PER_HOST);
    if (process.env.NSVS_SHOW_FAILOVER) process.stdout.write(`[nb-failover] killed member ${killed} with ${atKill}/${3 * PER_HOST} ports in; errors seen by the writers: ${errors.length}\n${errors.slice(0, 5).join('\n')}\n`);
  }, 180_000);
});

// The OVN backend's northbound side against a real standalone ovsdb-server holding OVN's NB schema:
// concurrent switch creation and claims from two "hosts" (two clients), conflicts, retries, adoption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../../../src/exec/run.js';
import { killByPidFile } from '../../../src/sandbox/pid-file.js';
import { OvsdbClient } from '../../../src/ovsdb/index.js';
import { OvnNorthbound } from '../../../src/agent/ovn/ovn-nb.js';
import { desiredLsp, desiredSwitch } from '../../../src/core/ovn/logical-records.js';
import { nbView } from '../../../src/core/ovn/nb-view.js';
import { planLogical } from '../../../src/core/ovn/logical-plan.js';
import { silentLogger } from '../../../src/observe/logger.js';

const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';

interface Host { client: OvsdbClient; nb: OvnNorthbound; writes: number }

describe('OvnNorthbound on a standalone northbound ovsdb-server', () => {
  let dir = '';
  let sock = '';
  const hosts: Host[] = [];

  async function host(systemId: string): Promise<Host> {
    const h = { writes: 0 } as Host;
    h.client = await OvsdbClient.connect(`unix:${sock}`, { onTransaction: (t) => { if (t.kind === 'write') h.writes++; } });
    h.nb = await OvnNorthbound.start(h.client, systemId, silentLogger());
    hosts.push(h);
    return h;
  }

  const nbctl = async (...args: string[]) => (await run('ovn-nbctl', [`--db=unix:${sock}`, '--no-leader-only', ...args])).stdout.trim();

  beforeAll(async () => {
    dir = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'nsvs-ovn-nb-'));
    sock = join(dir, 'nb.sock');
    await run('ovsdb-tool', ['create', join(dir, 'nb.db'), NB_SCHEMA]);
    await run('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${join(dir, 'nb.pid')}`, `--unixctl=${join(dir, 'nb.ctl')}`,
      `--log-file=${join(dir, 'nb.log')}`, `--remote=punix:${sock}`, join(dir, 'nb.db')]);
  });
  afterAll(async () => {
    for (const h of hosts) {
      await h.nb.stop();
      await h.client.close();
    }
    if (dir) {
      await killByPidFile(join(dir, 'nb.pid'), 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates one switch when two hosts create the same tenant switch at once', async () => {
    const a = await host('host-a');
    const b = await host('host-b');
    const blue = desiredSwitch('blue', 100);
    await Promise.all([a.nb.ensureSwitches([blue]), b.nb.ensureSwitches([blue])]);
    const names = (await nbctl('--bare', '--columns=name', 'find', 'Logical_Switch', 'name=nsvs-blue')).split('\n').filter(Boolean);
    expect(names).toEqual(['nsvs-blue']);
    expect(await nbctl('get', 'Logical_Switch', 'nsvs-blue', 'other_config:requested-tnl-key')).toBe('"100"');
    // Both replicas see it.
    expect([...a.nb.snapshot().Logical_Switch.values()].map((s) => s.name)).toEqual(['nsvs-blue']);
    expect([...b.nb.snapshot().Logical_Switch.values()].map((s) => s.name)).toEqual(['nsvs-blue']);
  });

  it('lets exactly one of two concurrent claims of one address through; the loser retries with another and both end unique', async () => {
    const [a, b] = hosts as [Host, Host];
    const port = (host: string, hostIf: string, ip: string, mac: string) => desiredLsp({ key: `/run/netns/${hostIf}#1`, hostIf, tenant: 'blue', tenantId: 100, ip, mac }, host);
    const la = port('host-a', 'nsvaaaa', '10.10.0.2', '02:00:00:00:00:0a');
    const lb = port('host-b', 'nsvbbbb', '10.10.0.2', '02:00:00:00:00:0b');
    const [ra, rb] = await Promise.all([a.nb.claim([la]), b.nb.claim([lb])]);
    const outcomes = [ra.get(la.name), rb.get(lb.name)];
    expect(outcomes.filter((o) => o?.ok)).toHaveLength(1);
    const lost = outcomes.find((o) => !o?.ok);
    expect(lost).toMatchObject({ ok: false, why: 'address-taken' });
    // The loser's next pass: the winner's address is held elsewhere, so it takes another.
    const loser = ra.get(la.name)?.ok ? b : a;
    const loserPort = loser === a ? la : lb;
    const held = nbView(loser.nb.snapshot(), loser.nb.systemId).elsewhereAddresses.get('blue');
    expect([...(held ?? [])]).toEqual(['10.10.0.2']);
    const retry = desiredLsp({ key: loserPort.key, hostIf: loser === a ? 'nsvaaaa' : 'nsvbbbb', tenant: 'blue', tenantId: 100, ip: '10.10.0.3', mac: loserPort.mac }, loser.nb.systemId);
    expect((await loser.nb.claim([retry])).get(retry.name)).toEqual({ ok: true });
    const addrs = (await nbctl('--bare', '--columns=addresses', 'find', 'Logical_Switch_Port', 'external_ids:nsvswitch-tenant=blue')).split('\n').filter(Boolean).sort();
    expect(addrs).toEqual(['02:00:00:00:00:0a 10.10.0.2', '02:00:00:00:00:0b 10.10.0.3'].filter((x) => addrs.includes(x)).length === 2
      ? ['02:00:00:00:00:0a 10.10.0.2', '02:00:00:00:00:0b 10.10.0.3'] : ['02:00:00:00:00:0a 10.10.0.3', '02:00:00:00:00:0b 10.10.0.2']);
    expect(await nbctl('lsp-get-port-security', la.name)).toMatch(/^02:00:00:00:00:0a 10\.10\.0\.[23]$/);
    expect(await nbctl('get', 'Logical_Switch_Port', la.name, 'options:requested-chassis')).toBe('host-a');
  });

  it('refuses a MAC another port holds anywhere, and claims the rest of the batch in the same go', async () => {
    const [a] = hosts as [Host, Host];
    const dupMac = desiredLsp({ key: '/run/netns/x#1', hostIf: 'nsvcccc', tenant: 'blue', tenantId: 100, ip: '10.10.0.9', mac: '02:00:00:00:00:0b' }, 'host-a');
    const fine = desiredLsp({ key: '/run/netns/y#1', hostIf: 'nsvdddd', tenant: 'blue', tenantId: 100, ip: '10.10.0.10', mac: '02:00:00:00:00:0d' }, 'host-a');
    const r = await a.nb.claim([dupMac, fine]);
    expect(r.get(dupMac.name)).toMatchObject({ ok: false, why: 'mac-taken' });
    expect(r.get(fine.name)).toEqual({ ok: true });
  });

  it('gives three hosts claiming the same lowest addresses at once unique addresses, each refused port retried with the next free one', async () => {
    const racers = [await host('race-1'), await host('race-2'), await host('race-3')];
    await Promise.all(racers.map((h) => h.nb.ensureSwitches([desiredSwitch('green', 300)])));
    const PER_HOST = 15;
    const done = new Map<string, string>();
    const rounds = new Map<string, number>();
    await Promise.all(racers.map(async (h, hi) => {
      let left = Array.from({ length: PER_HOST }, (_, i) => `nsv${hi}x${i}`);
      for (let round = 1; left.length > 0; round++) {
        expect(round).toBeLessThanOrEqual(PER_HOST * 3);
        // What a pass does: the lowest addresses that nobody holds in this host's replica.
        const held = nbView(h.nb.snapshot(), h.nb.systemId).elsewhereAddresses.get('green') ?? new Set<string>();
        const mine = new Set([...nbView(h.nb.snapshot(), h.nb.systemId).own.values()].map((l) => l.ip));
        const free = Array.from({ length: 250 }, (_, i) => `10.30.0.${i + 2}`).filter((ip) => !held.has(ip) && !mine.has(ip));
        const batch = left.map((hostIf, i) => desiredLsp({ key: `/run/netns/${hostIf}#1`, hostIf, tenant: 'green', tenantId: 300, ip: free[i]!, mac: `02:30:00:00:${hi.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}` }, h.nb.systemId));
        const r = await h.nb.claim(batch);
        for (const l of batch) if (r.get(l.name)?.ok) done.set(l.name, l.ip);
        left = left.filter((hostIf) => !r.get(desiredLsp({ key: '', hostIf, tenant: 'green', tenantId: 300, ip: '', mac: '' }, h.nb.systemId).name)?.ok);
        rounds.set(h.nb.systemId, round);
      }
    }));
    expect(done.size).toBe(3 * PER_HOST);
    expect(new Set(done.values()).size).toBe(3 * PER_HOST);
    const inDb = (await nbctl('--bare', '--columns=addresses', 'find', 'Logical_Switch_Port', 'external_ids:nsvswitch-tenant=green')).split('\n').filter(Boolean);
    expect(new Set(inDb.map((a) => a.split(' ')[1])).size).toBe(3 * PER_HOST);
  });

  it('adopts what is in place with zero writes, and releases only its own ports', async () => {
    const [a, b] = hosts as [Host, Host];
    const before = a.writes;
    const own = [...nbView(a.nb.snapshot(), 'host-a').own.values()];
    const desired = own.map((o) => ({ key: o.key, hostIf: o.name.slice('nsvs-host-a-'.length), tenant: o.tenant, tenantId: 100, ip: o.ip, mac: o.mac }));
    const p = planLogical(desired, nbView(a.nb.snapshot(), 'host-a'), 'host-a');
    expect(p).toMatchObject({ createSwitches: [], staleTunnelKeys: [], release: [], claim: [] });
    await a.nb.ensureSwitches(p.createSwitches);
    expect(a.writes).toBe(before);

    // A port someone made by hand on our switch, and host-b's port: never released by host-a.
    await nbctl('lsp-add', 'nsvs-blue', 'manual-port');
    const gone = planLogical([], nbView(a.nb.snapshot(), 'host-a'), 'host-a');
    expect(gone.release.map((l) => l.name).sort()).toEqual(own.map((o) => o.name).sort());
    await a.nb.release(gone.release);
    const left = (await nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).split('\n').filter(Boolean).sort();
    expect(left).toContain('manual-port');
    for (const n of nbView(b.nb.snapshot(), 'host-b').own.keys()) expect(left).toContain(n);
    for (const o of own) expect(left).not.toContain(o.name);
  });
});

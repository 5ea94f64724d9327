import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../../src/exec/run.js';
import { isAlive, killByPidFile, readPidFile } from '../../../src/sandbox/pid-file.js';

/** A small schema for cluster tests: Item (the data), Extra (dropped by CONVERTED_SCHEMA). */
export const TEST_DB = 'Test';
export const TEST_SCHEMA = {
  name: TEST_DB,
  version: '1.0.0',
  tables: {
    Item: { columns: { name: { type: 'string' }, n: { type: 'integer' }, tags: { type: { key: 'string', min: 0, max: 'unlimited' } } }, isRoot: true },
    Extra: { columns: { name: { type: 'string' } }, isRoot: true },
  },
};
/** Version 2: Extra gone, Item.note added. */
export const CONVERTED_SCHEMA = {
  name: TEST_DB,
  version: '2.0.0',
  tables: {
    Item: { columns: { name: { type: 'string' }, n: { type: 'integer' }, tags: { type: { key: 'string', min: 0, max: 'unlimited' } }, note: { type: 'string' } }, isRoot: true },
  },
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Member {
  readonly index: number;
  /** Where clients connect: member 0 on a unix socket, the others on tcp 127.0.0.1. */
  readonly remote: string;
  /** Always a unix socket (for ovsdb-client and ovs-appctl). */
  readonly unixRemote: string;
  readonly db: string;
  readonly pidFile: string;
  readonly ctl: string;
}

/**
 * A 3-member Raft cluster of ovsdb-server under one temp dir (`ovsdb-tool
 * create-cluster` / `join-cluster`), members stopped by pid and the dir
 * removed by stop(), also after a failed start.
 */
export class RaftCluster {
  private constructor(
    readonly dir: string,
    readonly members: readonly Member[],
    private readonly tcpPorts: readonly number[],
  ) {}

  get env(): Record<string, string> {
    return { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir, OVS_SYSCONFDIR: this.dir };
  }

  get schemaFile(): string {
    return join(this.dir, 'schema.json');
  }

  /** Every client-facing remote, comma-separated. */
  get remotes(): string {
    return this.members.map((m) => m.remote).join(',');
  }

  static async start(label: string, opts: { size?: number; schema?: object; baseDir?: string } = {}): Promise<RaftCluster> {
    const size = opts.size ?? 3;
    const schema = opts.schema ?? TEST_SCHEMA;
    const dir = await mkdtemp(join(opts.baseDir ?? tmpdir(), `nsvs-raft-${label}-`));
    let cluster: RaftCluster | undefined;
    try {
      const schemaFile = join(dir, 'schema.json');
      await writeFile(schemaFile, JSON.stringify(schema));
      await writeFile(join(dir, 'converted.json'), JSON.stringify(CONVERTED_SCHEMA));
      const raftPorts: number[] = [];
      const tcpPorts: number[] = [];
      for (let i = 0; i < size; i++) {
        raftPorts.push(await freePort());
        tcpPorts.push(await freePort());
      }
      const members: Member[] = [];
      for (let i = 0; i < size; i++) {
        members.push({
          index: i,
          remote: i === 0 ? `unix:${join(dir, `s${i}.sock`)}` : `tcp:127.0.0.1:${tcpPorts[i]}`,
          unixRemote: `unix:${join(dir, `s${i}.sock`)}`,
          db: join(dir, `s${i}.db`),
          pidFile: join(dir, `s${i}.pid`),
          ctl: join(dir, `s${i}.ctl`),
        });
      }
      cluster = new RaftCluster(dir, members, tcpPorts);
      const raft = (i: number): string => `tcp:127.0.0.1:${raftPorts[i]}`;
      await cluster.tool(['create-cluster', members[0]!.db, schemaFile, raft(0)]);
      for (let i = 1; i < size; i++) await cluster.tool(['join-cluster', members[i]!.db, TEST_DB, raft(i), raft(0)]);
      for (const m of members) await cluster.startMember(m.index);
      for (const m of members) await cluster.waitConnected(m.index);
      return cluster;
    } catch (err) {
      if (cluster) await cluster.stop();
      else await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async tool(args: string[]): Promise<void> {
    const r = await run('ovsdb-tool', args, { env: this.env });
    if (r.exitCode !== 0) throw new Error(`ovsdb-tool ${args[0]} failed: ${r.stderr}`);
  }

  async startMember(i: number): Promise<void> {
    const m = this.members[i]!;
    const r = await run('ovsdb-server', [
      '--detach', '--no-chdir', `--pidfile=${m.pidFile}`, `--log-file=${join(this.dir, `s${i}.log`)}`, `--unixctl=${m.ctl}`,
      `--remote=punix:${join(this.dir, `s${i}.sock`)}`, `--remote=ptcp:${this.tcpPorts[i]}:127.0.0.1`, m.db,
    ], { env: this.env });
    if (r.exitCode !== 0) throw new Error(`ovsdb-server s${i} failed to start: ${r.stderr}`);
  }

  /** SIGKILL: no goodbye to the cluster or the clients. */
  async killMember(i: number): Promise<void> {
    const pid = await readPidFile(this.members[i]!.pidFile);
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(10);
    }
    await rm(this.members[i]!.pidFile, { force: true });
  }

  async isRunning(i: number): Promise<boolean> {
    const pid = await readPidFile(this.members[i]!.pidFile);
    return pid !== undefined && isAlive(pid);
  }

  /** Waits until the member is in the cluster and has a leader. */
  async waitConnected(i: number, timeoutSec = 30): Promise<void> {
    const r = await run('ovsdb-client', [`--timeout=${timeoutSec}`, 'wait', this.members[i]!.unixRemote, TEST_DB, 'connected'], { env: this.env, timeoutMs: (timeoutSec + 5) * 1000 });
    if (r.exitCode !== 0) throw new Error(`member s${i} not connected: ${r.stderr}`);
  }

  async role(i: number): Promise<string> {
    const r = await run('ovs-appctl', ['-t', this.members[i]!.ctl, 'cluster/status', TEST_DB], { env: this.env, timeoutMs: 5000 });
    return /Role: (\w+)/.exec(r.stdout)?.[1] ?? 'unknown';
  }

  async leader(): Promise<number> {
    for (let tries = 0; tries < 300; tries++) {
      for (const m of this.members) if ((await this.isRunning(m.index)) && (await this.role(m.index)) === 'leader') return m.index;
      await sleep(50);
    }
    throw new Error('no leader');
  }

  /** `ovsdb-client dump` of Item on a running member, as name → { n, tags }, plus duplicates found. */
  async dumpItems(i?: number, columns: readonly string[] = ['name', 'n', 'tags']): Promise<{ items: Map<string, Record<string, unknown>>; duplicates: string[] }> {
    const at = i ?? (await this.leader());
    const r = await run('ovsdb-client', ['--format=json', 'dump', this.members[at]!.unixRemote, TEST_DB, 'Item', ...columns], { env: this.env, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`ovsdb-client dump failed: ${r.stderr}`);
    const table = JSON.parse(r.stdout.split('\n').find((l) => l.trim())!) as { headings: string[]; data: unknown[][] };
    const items = new Map<string, Record<string, unknown>>();
    const duplicates: string[] = [];
    for (const row of table.data) {
      // A one-element set arrives as the bare atom.
      const rec = Object.fromEntries(table.headings.map((h, k) => [h, h === 'tags' && !Array.isArray(row[k]) ? [row[k]] : normalize(row[k])]));
      const name = String(rec.name);
      if (items.has(name)) duplicates.push(name);
      items.set(name, rec);
    }
    return { items, duplicates };
  }

  /**
   * Changes the Raft election timer on the leader (ovs-appctl cluster/change-election-timer;
   * it may at most double per step). Big transactions on busy cores need more than the default 1 s.
   */
  async setElectionTimer(ms: number): Promise<void> {
    const at = await this.leader();
    const show = await run('ovs-appctl', ['-t', this.members[at]!.ctl, 'cluster/status', TEST_DB], { env: this.env, timeoutMs: 5000 });
    let current = Number(/Election timer: (\d+)/.exec(show.stdout)?.[1] ?? 1000);
    while (current !== ms) {
      current = ms > current ? Math.min(ms, current * 2) : ms;
      // One change at a time: the next is refused ("change pending") until the previous one is committed.
      for (let tries = 0; ; tries++) {
        const r = await run('ovs-appctl', ['-t', this.members[await this.leader()]!.ctl, 'cluster/change-election-timer', TEST_DB, String(current)], { env: this.env, timeoutMs: 10_000, okExitCodes: [2] });
        if (r.exitCode === 0) break;
        if (tries > 100) throw new Error(`change-election-timer ${current} failed: ${r.stderr || r.stdout}`);
        await sleep(100);
      }
    }
  }

  async convert(schema: object = CONVERTED_SCHEMA): Promise<void> {
    const file = join(this.dir, `convert-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(schema));
    const at = await this.leader();
    const r = await run('ovsdb-client', ['convert', this.members[at]!.unixRemote, file], { env: this.env, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`ovsdb-client convert failed: ${r.stderr}`);
  }

  async stop(): Promise<void> {
    for (const m of this.members) await killByPidFile(m.pidFile, 'SIGTERM', 3000).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Wire values as plain JS: ["set", [...]] → sorted array, a bare atom in a set column stays as it is. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v) && v[0] === 'set') return [...(v[1] as unknown[])].map(normalize).sort();
  if (Array.isArray(v) && v[0] === 'uuid') return v[1];
  return v;
}

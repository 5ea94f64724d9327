import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.js';
import { killByPidFile } from '../../../src/sandbox/pid-file.js';
import { OvsdbClient, OvsdbConnectError, type TlsMaterial } from '../../../src/ovsdb/index.js';
import { TEST_DB, TEST_SCHEMA } from './raft-cluster.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await run('openssl', args, { env: { HOME: dir, RANDFILE: join(dir, '.rnd') } });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A CA and two certificates signed by it (server, client), as OVS's pki would make. */
async function makePki(dir: string): Promise<void> {
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '1', '-subj', '/CN=nsvswitch-test-ca']);
  for (const who of ['server', 'client']) {
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${who}.key`), '-out', join(dir, `${who}.csr`), '-subj', `/CN=${who}`]);
    await openssl(dir, ['x509', '-req', '-in', join(dir, `${who}.csr`), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-out', join(dir, `${who}.pem`), '-days', '1']);
  }
}

describe('ssl: remotes (node:tls, key/certificate/CA)', () => {
  let dir: string | undefined;
  let remote = '';
  let tls: TlsMaterial | undefined;
  const pidFile = (): string => join(dir!, 'ovsdb.pid');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsvs-ssl-'));
    const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
    await makePki(dir);
    await writeFile(join(dir, 'schema.json'), JSON.stringify(TEST_SCHEMA));
    await run('ovsdb-tool', ['create', join(dir, 'test.db'), join(dir, 'schema.json')], { env });
    const port = await freePort();
    const r = await run('ovsdb-server', [
      '--detach', '--no-chdir', `--pidfile=${pidFile()}`, `--log-file=${join(dir, 'ovsdb.log')}`, `--unixctl=${join(dir, 'ovsdb.ctl')}`,
      `--private-key=${join(dir, 'server.key')}`, `--certificate=${join(dir, 'server.pem')}`, `--ca-cert=${join(dir, 'ca.pem')}`,
      `--remote=pssl:${port}:127.0.0.1`, join(dir, 'test.db'),
    ], { env });
    if (r.exitCode !== 0) throw new Error(`ovsdb-server failed: ${r.stderr}`);
    remote = `ssl:127.0.0.1:${port}`;
    tls = { key: await readFile(join(dir, 'client.key')), cert: await readFile(join(dir, 'client.pem')), ca: await readFile(join(dir, 'ca.pem')) };
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await killByPidFile(pidFile(), 'SIGTERM').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('connects with a certificate signed by the server\'s CA, transacts and monitors', async () => {
    const c = await OvsdbClient.connect(remote, { tls, connectTimeoutMs: 10_000 });
    try {
      const m = await c.monitor(TEST_DB, { Item: {} });
      await c.transact(TEST_DB, [{ op: 'insert', table: 'Item', row: { name: 'over-tls', n: 7 } }]);
      expect([...m.rows().get('Item')!.values()].map((r) => r.name)).toEqual(['over-tls']);
    } finally {
      await c.close();
    }
  });

  it('refuses a server whose certificate the given CA did not sign, and an ssl: remote without key material', async () => {
    const other = await mkdtemp(join(tmpdir(), 'nsvs-ssl-other-'));
    try {
      await makePki(other);
      const wrongCa = { ...tls!, ca: await readFile(join(other, 'ca.pem')) };
      await expect(OvsdbClient.connect(remote, { tls: wrongCa, connectTimeoutMs: 500, reconnectMinMs: 50 })).rejects.toBeInstanceOf(OvsdbConnectError);
      await expect(OvsdbClient.connect(remote, { connectTimeoutMs: 300, reconnectMinMs: 50 })).rejects.toThrow(/without key, certificate and CA/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 30_000);
});

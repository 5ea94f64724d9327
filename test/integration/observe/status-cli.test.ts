import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { Metrics } from '../../../src/observe/metrics.js';
import { startHttpServer, type HttpServerHandle } from '../../../src/observe/http-server.js';
import type { StatusReport } from '../../../src/observe/status-types.js';
import { sampleStatus } from '../../unit/observe/fixtures.js';

const BIN = join(import.meta.dirname, '../../../bin/nsvswitch.js');

/** Runs the real command line, as an operator would. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [BIN, 'status', ...args], { reject: false, timeout: 30_000, env: { NO_COLOR: '1' } });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('nsvswitch status (real CLI against a real endpoint)', () => {
  let report: StatusReport = sampleStatus();
  let srv: HttpServerHandle;
  let endpoint: string;

  beforeAll(async () => {
    srv = await startHttpServer({
      listen: '127.0.0.1:0',
      metrics: new Metrics({ defaultMetrics: false }),
      health: () => ({ ok: true, checks: {} }),
      ready: () => report.ready,
      status: () => report,
    });
    endpoint = `http://127.0.0.1:${srv.port}`;
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('prints tables for people and exits 0 when the agent is ready', async () => {
    report = sampleStatus();
    const r = await cli('--endpoint', endpoint);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nsvswitch 0.1.0 on bridge br-nsv: ready, OVSDB connected');
    expect(r.stdout).toMatch(/^blue\s+100\s+10\.10\.0\.0\/24\s+2\s+1$/m);
    expect(r.stdout).toMatch(/^\/run\/netns\/blue-1\s+-\s+blue\s+ready\s+10\.10\.0\.2\s+02:00:00:00:00:02\s+nsv0123456789ab\s+3$/m);
    expect(r.stdout).toContain('/etc/nsvswitch/tenants.d/bad.yaml:4');
    // A hostile namespace name cannot inject terminal escapes or fake rows.
    expect(r.stdout).toContain('/run/netns/blue-\\x1b[31mevil\\n');
    expect(r.stdout).not.toContain('\u001b');
  });

  it('prints the JSON document with --json', async () => {
    report = sampleStatus();
    const r = await cli(`--endpoint=${endpoint}/status`, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(report);
  });

  it('exits 1 and still prints the report when the agent is not ready', async () => {
    report = sampleStatus({ ready: false, ovsdbConnected: false });
    const r = await cli('--endpoint', endpoint);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('NOT READY (initial sync not done), OVSDB DISCONNECTED');
  });

  it('exits 3 when nothing listens at the endpoint', async () => {
    const gone = await startHttpServer({ listen: '127.0.0.1:0', metrics: new Metrics({ defaultMetrics: false }), health: () => ({ ok: true, checks: {} }), ready: () => true, status: () => report });
    const url = `http://127.0.0.1:${gone.port}`;
    await gone.close();
    const r = await cli('--endpoint', url);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`no agent at ${url}/status`);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
  });

  it('exits 3 when something else answers at the endpoint', async () => {
    const foreign: Server = createServer((_req, res) => res.end('{"hello":"world"}'));
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    try {
      const r = await cli('--endpoint', `http://127.0.0.1:${(foreign.address() as { port: number }).port}`);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('not an nsvswitch status document');
    } finally {
      await new Promise((r) => foreign.close(r));
    }
  });

  it('exits 2 with usage on an unknown flag', async () => {
    const r = await cli('--jsn');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--jsn: unknown flag');
    expect(r.stderr).toContain('Usage: nsvswitch status');
  });
});

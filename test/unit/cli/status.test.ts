import { describe, expect, it } from 'vitest';
import { parseStatusFlags, statusUrl, DEFAULT_STATUS_ENDPOINT } from '../../../src/cli/status.js';
import { formatStatus, printable, renderTable } from '../../../src/cli/status-table.js';
import { FlagError } from '../../../src/config/flag-error.js';
import { sampleStatus } from '../observe/fixtures.js';

describe('nsvswitch status flags', () => {
  it('defaults to the loopback endpoint, tables, 5 s', () => {
    expect(parseStatusFlags([])).toEqual({ json: false, help: false, endpoint: DEFAULT_STATUS_ENDPOINT, timeoutMs: 5000 });
    expect(DEFAULT_STATUS_ENDPOINT).toBe('http://127.0.0.1:9476');
  });

  it('takes "--flag value" and "--flag=value"', () => {
    expect(parseStatusFlags(['--json', '--endpoint', 'http://h:1', '--timeout=0.5'])).toEqual({ json: true, help: false, endpoint: 'http://h:1', timeoutMs: 500 });
  });

  it('rejects unknown flags, missing values and bad timeouts with FlagError', () => {
    expect(() => parseStatusFlags(['--nope'])).toThrow(FlagError);
    expect(() => parseStatusFlags(['--endpoint'])).toThrow(/--endpoint: needs a value/);
    expect(() => parseStatusFlags(['--timeout', '-1'])).toThrow(/expected seconds > 0/);
  });

  it('builds the /status URL from a base or full endpoint', () => {
    expect(statusUrl('http://127.0.0.1:9476').href).toBe('http://127.0.0.1:9476/status');
    expect(statusUrl('http://127.0.0.1:9476/').href).toBe('http://127.0.0.1:9476/status');
    expect(statusUrl('http://127.0.0.1:9476/status').href).toBe('http://127.0.0.1:9476/status');
    expect(statusUrl('127.0.0.1:9476').href).toBe('http://127.0.0.1:9476/status');
    expect(statusUrl('http://proxy/nsv/').href).toBe('http://proxy/nsv/status');
    expect(() => statusUrl('ftp://x')).toThrow(/expected http/);
  });
});

describe('status tables', () => {
  it('escapes control and bidi characters so names print as visible text', () => {
    expect(printable('a\nb\tc\u001b[0m\u007f\u202eZ')).toBe('a\\nb\\tc\\x1b[0m\\x7f\\u{202e}Z');
    expect(printable('blå-ünï€')).toBe('blå-ünï€');
  });

  it('aligns columns by characters, not bytes', () => {
    expect(renderTable(['A', 'BB'], [['ü', 'x'], ['long', 'y']])).toBe('A     BB\nü     x\nlong  y');
  });

  it('shows tenants, namespaces, errors and problems, and a one-line summary', () => {
    const out = formatStatus(sampleStatus());
    expect(out.split('\n')[1]).toBe('3 namespaces, 1 ready, 1 error, 1 unmatched; 2 tenants; 1 errors; 1 manifest problems');
    expect(out).toMatch(/^TENANTS\nTENANT\s+ID\s+SUBNET\s+PORTS\s+READY$/m);
    expect(out).toMatch(/^\/run\/netns\/other\s+-\s+-\s+unmatched\s+-\s+-\s+-\s+-$/m);
    expect(out).toContain('ERRORS');
    expect(out).toMatch(/^\/etc\/nsvswitch\/tenants\.d\/bad\.yaml:4\s+green\s+subnet 10\.0\.0\.0\/33 is not a CIDR$/m);
  });

  it('names the container of a runtime workload, and shows the runtimes and why namespaces wait', () => {
    const out = formatStatus(sampleStatus({
      namespaces: [
        { path: '/run/docker/netns/0a1b2c3d4e5f', name: '0a1b2c3d4e5f', tenant: 'blue', state: 'ready', ip: '10.10.0.2/24', port: 'nsv0123456789ab',
          workload: { runtime: 'docker', name: 'web1', id: 'f'.repeat(64), state: 'running', secondary: true } },
        { path: '/run/docker/netns/99aa', name: '99aa', state: 'waiting', note: 'waiting for docker metadata (runtime not reachable)' },
      ],
      runtimes: [{ runtime: 'docker', connected: false, synced: true, workloads: 3, since: '2026-01-01T00:00:00.000Z', error: 'docker API /events: ECONNREFUSED' }],
    }));
    expect(out).toMatch(/^\/run\/docker\/netns\/0a1b2c3d4e5f\s+docker:web1 \(ffffffffffff\)\s+blue\s+ready\s+10\.10\.0\.2\/24/m);
    expect(out).toMatch(/^docker\s+DISCONNECTED \(metadata stale\)\s+3\s+2026-01-01T00:00:00\.000Z\s+docker API \/events: ECONNREFUSED$/m);
    expect(out).toMatch(/^\/run\/docker\/netns\/99aa\s+waiting for docker metadata \(runtime not reachable\)$/m);
  });

  it('prints the IPv6 address of a port that has one, and the IPv6 prefix of a tenant (IPv6-only: no IPv4 subnet, no IPv4 address)', () => {
    const out = formatStatus(sampleStatus({
      tenants: [
        { name: 'blue', id: 100, subnet: '10.10.0.0/24', subnet6: 'fd00:10::/64', ports: 1, ready: 1 },
        { name: 'six', id: 300, subnet6: 'fd00:60::/64', ports: 1, ready: 1 },
        { name: 'red', id: 200, subnet: '10.20.0.0/24', ports: 1, ready: 1 },
      ],
      namespaces: [
        { path: '/run/netns/blue-1', name: 'blue-1', tenant: 'blue', state: 'ready', ip: '10.10.0.2/24', ip6: 'fd00:10::2/64', mac: '02:00:00:00:00:01', port: 'nsv1', ofport: 1 },
        { path: '/run/netns/six-1', name: 'six-1', tenant: 'six', state: 'ready', ip6: 'fd00:60::2/64', mac: '02:00:00:00:00:02', port: 'nsv2', ofport: 2 },
        { path: '/run/netns/red-1', name: 'red-1', tenant: 'red', state: 'ready', ip: '10.20.0.2/24', mac: '02:00:00:00:00:03', port: 'nsv3', ofport: 3 },
      ],
    }));
    expect(out).toMatch(/^TENANT\s+ID\s+SUBNET\s+SUBNET6\s+PORTS\s+READY$/m);
    expect(out).toMatch(/^blue\s+100\s+10\.10\.0\.0\/24\s+fd00:10::\/64\s+1\s+1$/m);
    expect(out).toMatch(/^six\s+300\s+-\s+fd00:60::\/64\s+1\s+1$/m);
    expect(out).toMatch(/^red\s+200\s+10\.20\.0\.0\/24\s+-\s+1\s+1$/m);
    expect(out).toMatch(/^NAMESPACE\s+WORKLOAD\s+TENANT\s+STATE\s+IP\s+IP6\s+MAC\s+PORT\s+OFPORT$/m);
    expect(out).toMatch(/^\/run\/netns\/blue-1\s+-\s+blue\s+ready\s+10\.10\.0\.2\/24\s+fd00:10::2\/64\s+02:00:00:00:00:01\s+nsv1\s+1$/m);
    expect(out).toMatch(/^\/run\/netns\/six-1\s+-\s+six\s+ready\s+-\s+fd00:60::2\/64\s+02:00:00:00:00:02\s+nsv2\s+2$/m);
    expect(out).toMatch(/^\/run\/netns\/red-1\s+-\s+red\s+ready\s+10\.20\.0\.2\/24\s+-\s+02:00:00:00:00:03\s+nsv3\s+3$/m);
  });

  it('has no IPv6 columns when nothing has IPv6 (an IPv4-only host prints what it always did)', () => {
    const out = formatStatus(sampleStatus());
    expect(out).not.toContain('SUBNET6');
    expect(out).not.toContain('IP6');
    expect(out).toMatch(/^NAMESPACE\s+WORKLOAD\s+TENANT\s+STATE\s+IP\s+MAC\s+PORT\s+OFPORT$/m);
  });

  it('leaves out empty error and problem sections and says when there is nothing', () => {
    const out = formatStatus(sampleStatus({ tenants: [], namespaces: [], errors: [], problems: [] }));
    expect(out).toContain('(no tenants)');
    expect(out).toContain('(no namespaces)');
    expect(out).not.toContain('ERRORS');
    expect(out).not.toContain('MANIFEST PROBLEMS');
  });
});

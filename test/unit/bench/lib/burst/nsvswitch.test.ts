import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { agentArgs, agentBreakdown, benchManifest } from '../../../../../bench/lib/burst/nsvswitch.js';
import { parsePromText } from '../../../../../bench/lib/prom-text.js';

describe('benchManifest', () => {
  it('is one tenant claiming every bench-* namespace in a /16, with no gateway', () => {
    expect(parse(benchManifest())).toEqual({
      apiVersion: 'nsvswitch/v1',
      kind: 'Tenant',
      metadata: { name: 'bench' },
      spec: { id: 7701, subnet: '10.77.0.0/16', namespaces: ['bench-*'], interface: { name: 'eth0', mtu: 1500 } },
    });
  });
});

describe('agentArgs', () => {
  it('passes every location as its own argv element', () => {
    const args = agentArgs({ dbEndpoint: 'unix:/s/db.sock', ovsRundir: '/s', bridge: 'br', manifestDir: '/s/m', namespaceDir: '/s/netns', hostNetns: '/s/netns/host' });
    expect(args.slice(0, 6)).toEqual(['--ovsdb', 'unix:/s/db.sock', '--ovs-rundir', '/s', '--bridge', 'br']);
    expect(args).toContain('--host-netns');
    expect(args[args.indexOf('--datapath-type') + 1]).toBe('netdev');
  });
});

describe('agentBreakdown', () => {
  it('reports what the agent did between two scrapes, leaving out what it does not expose', () => {
    const before = parsePromText('nsvswitch_reconcile_duration_seconds_count 1\nnsvswitch_reconcile_duration_seconds_sum 0.1\n');
    const after = parsePromText([
      'nsvswitch_reconcile_duration_seconds_count 4',
      'nsvswitch_reconcile_duration_seconds_sum 1.1',
      'nsvswitch_process_spawns_total{program="ip"} 2',
      'nsvswitch_process_spawns_total{program="nsenter"} 100',
      'nsvswitch_attach_latency_seconds_sum 50',
      'nsvswitch_attach_latency_seconds_count 100',
      'nsvswitch_process_resident_memory_bytes 104857600',
      'nsvswitch_reconcile_stage_seconds_sum{stage="record"} 0.25',
    ].join('\n'));
    expect(agentBreakdown(before, after)).toEqual({
      'reconcile passes': 3,
      'reconcile time (s)': 1,
      'process spawns': 102,
      'spawns: ip': 2,
      'spawns: nsenter': 100,
      'attach latency mean (s)': 0.5,
      'agent RSS after (MiB)': 100,
      'pass stage record (s)': 0.25,
    });
  });
});

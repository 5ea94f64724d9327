import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { OWNER_COOKIE, pipelineFlows } from '../../../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver } from '../../../src/openflow/index.js';
import { describeTraffic, traffic, trafficMatrix, trafficProblems } from '../../helpers/traffic.js';
import { addSecureBridge, ping, plugWorkloads, setTxChecksumOffload, txChecksumOffload, type Workload } from './workloads.js';

/**
 * The traffic check (test/helpers/traffic.ts) is only worth something if it
 * can fail. Transmit checksum offload left on at a workload's end of its veth
 * is the bug it exists for: the userspace datapath forwards the frame with a
 * partial checksum and the receiving stack drops it, while ping (whose
 * checksum the stack computes itself) still gets through.
 */
describe('the TCP/UDP traffic check', () => {
  let sb: OvsSandbox;
  let w: Workload[];
  const bridge = 'br-tc';
  const byName = (ns: string): Workload => w.find((x) => x.ns === ns)!;

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: 'traffic-check' });
    await addSecureBridge(sb, bridge);
    w = await plugWorkloads(sb, bridge, [
      { ns: 'tc-a0', portName: 'vtc0', mac: '02:00:00:0c:00:01', ip: '10.12.0.1', tenant: 'tca', tenantId: 21 },
      { ns: 'tc-a1', portName: 'vtc1', mac: '02:00:00:0c:00:02', ip: '10.12.0.2', tenant: 'tca', tenantId: 21 },
      { ns: 'tc-b0', portName: 'vtc2', mac: '02:00:00:0c:00:03', ip: '10.12.0.3', tenant: 'tcb', tenantId: 22 },
    ], { txChecksumOffload: true });
    await new FlowSync(new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env })).sync(bridge, pipelineFlows(w));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('with tx checksum offload on (the veth default), ping gets through but no TCP or UDP byte arrives', async () => {
    const [a0, a1] = [byName('tc-a0'), byName('tc-a1')];
    expect(await txChecksumOffload(a0.nsPath)).toBe(true);
    expect(await ping(a0, a1.ip)).toBeGreaterThan(0);
    const r = await traffic(a0.nsPath, a1.nsPath, a1.ip);
    // The listener was there (it heard itself before and after), and nothing of the sender's arrived.
    expect(r.listenerUp, describeTraffic(r)).toBe(true);
    expect(r.tcp).toMatchObject({ ok: false, connected: false, bytesReceived: 0, connections: 0 });
    expect(r.udp).toMatchObject({ ok: false, datagramsSent: 8, datagramsReceived: 0, bytesReceived: 0 });
    // Expected to carry traffic, the pair is reported; expected to be blocked, it passes as blocked.
    expect(trafficProblems([r], () => true)).toEqual([expect.stringMatching(/^allowed tc-a0 -> tc-a1 \(10\.12\.0\.2\): TCP 0\/16384 B/)]);
    expect(trafficProblems([r], () => false)).toEqual([]);
  });

  it('with it off on the sending and answering ends, every byte arrives, both ways; another tenant still gets none', async () => {
    await Promise.all(w.map((x) => setTxChecksumOffload(x.nsPath, false)));
    expect(await txChecksumOffload(byName('tc-a0').nsPath)).toBe(false);
    const [a0, a1, b0] = [byName('tc-a0'), byName('tc-a1'), byName('tc-b0')];
    const results = await trafficMatrix([
      { from: a0.nsPath, to: a1.nsPath, ip: a1.ip },
      { from: a1.nsPath, to: a0.nsPath, ip: a0.ip },
      { from: a0.nsPath, to: b0.nsPath, ip: b0.ip },
      { from: b0.nsPath, to: a1.nsPath, ip: a1.ip },
    ]);
    const sameTenant = (r: (typeof results)[number]) => r.pair.to !== b0.nsPath && r.pair.from !== b0.nsPath;
    expect(trafficProblems(results, sameTenant)).toEqual([]);
    for (const r of results.filter(sameTenant)) {
      expect(r.tcp, r.label).toMatchObject({ ok: true, connected: true, bytesSent: 16384, bytesReceived: 16384, connections: 1 });
      expect(r.tcp.sha256Received).toBe(r.tcp.sha256Sent);
      expect(r.udp, r.label).toMatchObject({ ok: true, datagramsReceived: 8, bytesReceived: 8000, damaged: 0 });
    }
    for (const r of results.filter((x) => !sameTenant(x))) {
      expect(r.listenerUp, describeTraffic(r)).toBe(true);
      expect(r.tcp.bytesReceived + r.udp.bytesReceived, r.label).toBe(0);
    }
    // Judged the other way round, each of the four pairs is a problem: the check tells the cases apart.
    expect(trafficProblems(results, (r) => !sameTenant(r))).toHaveLength(4);
  });

  it('reports a listener that could not be up instead of a vacuous "0 bytes"', async () => {
    const [a0, a1] = [byName('tc-a0'), byName('tc-a1')];
    // 10.12.0.9 is nobody's: the listener cannot bind it, so nothing can be concluded from silence.
    const r = await traffic(a0.nsPath, a1.nsPath, '10.12.0.9');
    expect(r.listenerUp).toBe(false);
    expect(r.listenerProblem).toMatch(/listener did not start: .*EADDRNOTAVAIL/);
    expect(trafficProblems([r], () => false)).toEqual([expect.stringMatching(/LISTENER NOT UP/)]);
  });
});

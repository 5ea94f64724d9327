import { describe, expect, it } from 'vitest';
import { iperf3ClientArgs, iperf3ClientTimeoutMs, parseIperf3Json } from '../../../../bench/lib/iperf3.js';

// Trimmed from real `iperf3 -c 10.77.0.3 -t 2 -O 1 -J` output (iperf 3.12, two namespaces on a veth pair): intervals and per-stream data dropped.
const TCP = '{"start":{"version":"iperf 3.12","connecting_to":{"host":"10.77.0.3","port":5201},"tcp_mss_default":1448,"test_start":{"protocol":"TCP","num_streams":1,"blksize":131072,"omit":1,"duration":2,"reverse":0}},"intervals":[],"end":{"streams":[],"sum_sent":{"start":0,"end":2.000234,"seconds":2.000234,"bytes":4533780480,"bits_per_second":18133000358.958,"retransmits":14064,"sender":true},"sum_received":{"start":0,"end":2.000865,"seconds":2.000865,"bytes":4537843712,"bits_per_second":18143527772.238506,"sender":true},"cpu_utilization_percent":{"host_total":93.417107525019,"host_user":0.661753927748091,"host_system":92.7553535972709,"remote_total":43.040472228201864,"remote_user":1.4998723725575007,"remote_system":41.54056653255233},"sender_tcp_congestion":"bbr","receiver_tcp_congestion":"bbr"}}';

// The same for `-u -b 0` (iperf 3.12 has sum, sum_sent and sum_received).
const UDP_END = {
  sum: { start: 0, end: 1.999999, seconds: 1.999999, bytes: 742751600, bits_per_second: 2970954408.297855, jitter_ms: 0.0030333062662579054, lost_packets: 13882, packets: 512950, lost_percent: 2.706306657568964, sender: true },
  sum_sent: { start: 0, end: 2.000035, seconds: 2.000035, bytes: 742751600, bits_per_second: 2970954408.297855, jitter_ms: 0, lost_packets: 0, packets: 512950, lost_percent: 0, sender: true },
  sum_received: { start: 0, end: 1.999999, seconds: 1.999999, bytes: 722650464, bits_per_second: 2890603301.30165, jitter_ms: 0.0030333062662579054, lost_packets: 13882, packets: 512950, lost_percent: 2.706306657568964, sender: false },
  cpu_utilization_percent: { host_total: 98.71098531402926, remote_total: 63.8364229596617 },
};
const udpJson = (end: object): string => JSON.stringify({ start: { version: 'iperf 3.12', test_start: { protocol: 'UDP', num_streams: 1, blksize: 1448, omit: 0, duration: 2 } }, intervals: [], end });

// What iperf3 3.12 prints (exit code 0) when nothing answers at the server's address.
const CONNECT_ERROR = '{\n\t"start":\t{\n\t\t"connected":\t[],\n\t\t"version":\t"iperf 3.12",\n\t\t"system_info":\t"Linux vm 6.18.44"\n\t},\n\t"intervals":\t[],\n\t"end":\t{\n\t},\n\t"error":\t"unable to connect to server: Connection timed out"\n}\n';

describe('parseIperf3Json', () => {
  it('takes the receiver side of a TCP test, with retransmits and both ends\' CPU', () => {
    expect(parseIperf3Json(TCP)).toEqual({
      ok: true,
      result: {
        protocol: 'TCP', blockBytes: 131072, seconds: 2.000865,
        receivedBps: 18143527772.238506, receivedBytes: 4537843712, sentBps: 18133000358.958, retransmits: 14064,
        senderCpuPercent: 93.417107525019, receiverCpuPercent: 43.040472228201864,
      },
    });
  });

  it('takes what reached the receiver of a UDP test, with loss and jitter', () => {
    const out = parseIperf3Json(udpJson(UDP_END));
    expect(out).toEqual({
      ok: true,
      result: {
        protocol: 'UDP', blockBytes: 1448, seconds: 1.999999,
        receivedBps: 2890603301.30165, receivedBytes: 722650464, sentBps: 2970954408.297855,
        lostPackets: 13882, packets: 512950, lostPercent: 2.706306657568964, jitterMs: 0.0030333062662579054,
        senderCpuPercent: 98.71098531402926, receiverCpuPercent: 63.8364229596617,
      },
    });
  });

  it('derives the received UDP rate from end.sum and the loss when sum_received is missing (iperf3 before 3.10)', () => {
    const { sum, cpu_utilization_percent } = UDP_END;
    const out = parseIperf3Json(udpJson({ sum, cpu_utilization_percent }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.result.receivedBps).toBeCloseTo(2970954408.297855 * (1 - 0.02706306657568964), 0);
    expect(out.result.receivedBytes).toBe(Math.round(742751600 * (1 - 0.02706306657568964)));
    expect(out.result.sentBps).toBe(2970954408.297855);
    expect(out.result.lostPercent).toBe(2.706306657568964);
  });

  it('returns iperf3\'s own error as the reason', () => {
    expect(parseIperf3Json(CONNECT_ERROR)).toEqual({ ok: false, error: 'unable to connect to server: Connection timed out' });
  });

  it('says so when there is no output or it is not iperf3 JSON', () => {
    expect(parseIperf3Json('')).toEqual({ ok: false, error: 'no output from iperf3' });
    expect(parseIperf3Json('iperf3: error - unable to connect')).toEqual({ ok: false, error: 'not iperf3 JSON: iperf3: error - unable to connect' });
    expect(parseIperf3Json('[1, 2]')).toEqual({ ok: false, error: 'not iperf3 JSON: not an object' });
  });

  it('refuses output without a protocol or without the end sums (a test cut short)', () => {
    expect(parseIperf3Json('{"start":{},"end":{}}').ok).toBe(false);
    const cut = JSON.parse(TCP) as { end: Record<string, unknown> };
    delete cut.end.sum_received;
    expect(parseIperf3Json(JSON.stringify(cut))).toEqual({ ok: false, error: 'iperf3 JSON without end.sum_received' });
    delete cut.end.sum_sent;
    expect(parseIperf3Json(JSON.stringify(cut))).toEqual({ ok: false, error: 'iperf3 JSON without end.sum_sent' });
  });

  it('ignores figures that are not finite numbers', () => {
    const odd = JSON.parse(TCP) as { end: { sum_sent: Record<string, unknown>; cpu_utilization_percent?: unknown } };
    odd.end.sum_sent.retransmits = 'many';
    delete odd.end.cpu_utilization_percent;
    const out = parseIperf3Json(JSON.stringify(odd));
    expect(out.ok && out.result).toMatchObject({ protocol: 'TCP', receivedBps: 18143527772.238506 });
    expect(out.ok && 'retransmits' in out.result).toBe(false);
    expect(out.ok && 'senderCpuPercent' in out.result).toBe(false);
  });
});

describe('iperf3ClientArgs', () => {
  const base = { port: 5201, seconds: 5, omitSeconds: 1, udp: false, connectTimeoutMs: 3000 };

  it('asks for JSON, a warm-up and a connect timeout; TCP by default', () => {
    expect(iperf3ClientArgs('10.77.0.3', base)).toEqual(['-c', '10.77.0.3', '-p', '5201', '-t', '5', '-O', '1', '--connect-timeout', '3000', '-J']);
  });

  it('sends UDP unthrottled', () => {
    expect(iperf3ClientArgs('10.77.0.3', { ...base, udp: true, omitSeconds: 0 })).toEqual(['-c', '10.77.0.3', '-p', '5201', '-t', '5', '-O', '0', '--connect-timeout', '3000', '-J', '-u', '-b', '0']);
  });

  it('gives the client the test, the connect timeout and slack before it is killed', () => {
    expect(iperf3ClientTimeoutMs(base)).toBe(6000 + 3000 + 15_000);
  });
});

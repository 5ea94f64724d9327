import { describeTraffic, trafficMatrix, trafficProblems, type TrafficPair, type TrafficResult } from '../../helpers/traffic.js';

/** Anything of the pair's traffic arrived (a connection, a byte, a datagram). */
function delivered(r: TrafficResult): boolean {
  return r.tcp.connected || r.tcp.connections > 0 || r.tcp.bytesReceived > 0 || r.udp.bytesReceived > 0;
}

/**
 * TCP and UDP for every pair, in rounds until the allowed pairs deliver every byte (tunnels, ARP
 * and ovn-controller's flows may still be settling in the first rounds). A blocked pair must
 * deliver nothing in any round: the first delivery ends the rounds with that problem. Empty = as
 * expected.
 */
export async function trafficSettles(pairs: readonly TrafficPair[], allowed: (r: TrafficResult) => boolean, rounds = 5): Promise<string[]> {
  let problems: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const results = await trafficMatrix(pairs);
    const leaked = results.filter((r) => !allowed(r) && delivered(r));
    if (leaked.length > 0) return leaked.map((r) => `blocked pair delivered: ${describeTraffic(r)}`);
    problems = trafficProblems(results, allowed);
    if (problems.length === 0) return [];
  }
  return problems;
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configHelp, loadConfig, parseAgentFlags, type AgentConfig } from '../config/index.js';
import { FlagError } from '../config/flag-error.js';
import { ConfigError } from '../config/config-error.js';
import { run } from '../exec/run.js';
import { ExternalIds, OWNER_VALUE } from '../core/ownership.js';
import { findPortsByNamespace, inSubnetOf, type TracedPort } from '../core/pipeline/trace/traced-port.js';
import { parseTracedPorts } from './traced-ports-vsctl.js';
import { isIpv4 } from '../net/ipv4.js';
import { canonicalIpv6, eui64LinkLocal } from '../net/ipv6.js';
import { parseProto, parseVlan, tracePacket, type TraceProto, type TraceTarget } from '../core/pipeline/trace/trace-packet.js';
import { explainTrace } from '../core/pipeline/trace/explain-trace.js';
import { parseTrace } from '../openflow/ofproto-trace.js';
import { traceOvn } from './trace-ovn.js';

/** Exit codes of `nsvswitch trace` (documented in --help). */
export const TRACE_EXIT = { allowed: 0, dropped: 1, usage: 2 } as const;

const USAGE = `Usage: nsvswitch trace SRC DST [--proto icmp|icmp6|tcp/PORT|udp/PORT|arp|nd] [--vlan VID] [--raw] [config flags]

Explains what the switch does with a packet from namespace SRC to DST, using
ovs-appctl ofproto/trace on the agent's bridge: the verdict, the table that
decided, and why. SRC and DST are namespace names or paths, container names
(Docker workloads) or pods as namespace/pod (CRI workloads); DST may also be an IPv4 or IPv6 address
(global or link-local). The packet carries SRC's own MAC and address, and DST's MAC.

Options:
  --proto P   icmp (default), tcp/PORT, udp/PORT, or arp (the request for DST's address);
              icmp6, or nd (the neighbour solicitation for DST's IPv6 address): IPv6 between
              namespaces; with an IPv6 DST address every packet is IPv6 (tcp/PORT, udp/PORT too)
  --vlan VID  tag the packet with 802.1Q VLAN VID (0-4095; 0 = priority-tagged):
              what happens to a tagged frame (port security drops it)
  --raw       also print the full ofproto/trace output
`;

const EXIT_HELP = `
Exit status:
  0  allowed (the packet leaves the switch)
  1  dropped
  2  usage error, unknown namespace, or OVS unreachable
`;

interface TraceArgs {
  readonly src: string;
  readonly dst: string;
  readonly proto: TraceProto;
  readonly vlan: number | undefined;
  readonly raw: boolean;
}

/** Splits our own flags from the positional SRC DST (agent flags are parsed before). */
function parseTraceArgs(rest: readonly string[]): TraceArgs {
  let proto: TraceProto = { kind: 'icmp' };
  let raw = false;
  let vlan: number | undefined;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--raw') raw = true;
    else if (arg === '--proto' || arg.startsWith('--proto=')) {
      const v = arg === '--proto' ? rest[++i] : arg.slice('--proto='.length);
      const p = v === undefined ? undefined : parseProto(v);
      if (!p) throw new FlagError('--proto', `expected icmp, icmp6, arp, nd, tcp/PORT or udp/PORT, got ${JSON.stringify(v ?? '')}`);
      proto = p;
    } else if (arg === '--vlan' || arg.startsWith('--vlan=')) {
      const v = arg === '--vlan' ? rest[++i] : arg.slice('--vlan='.length);
      vlan = v === undefined ? undefined : parseVlan(v);
      if (vlan === undefined) throw new FlagError('--vlan', `expected a VLAN id 0-4095, got ${JSON.stringify(v ?? '')}`);
    } else if (arg.startsWith('-') && arg !== '-') throw new FlagError(arg, 'unknown flag');
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new FlagError('SRC DST', `expected two arguments, got ${positional.length}`);
  return { src: positional[0]!, dst: positional[1]!, proto, vlan, raw };
}

/** Our ports with their addresses, read from OVSDB: workloads, then tenant gateways. */
async function readPorts(cfg: AgentConfig): Promise<TracedPort[]> {
  const find = async (cond: string): Promise<TracedPort[]> => {
    const out = await run('ovs-vsctl', [`--db=${cfg.ovsdb}`, '--timeout=10', '--format=json', '--columns=name,ofport,external_ids', 'find', 'Interface', cond]);
    return parseTracedPorts(out.stdout);
  };
  return [...(await find(`external_ids:${ExternalIds.owner}=${OWNER_VALUE}`)), ...(await find(`external_ids:${ExternalIds.role}=gateway`))];
}

/** ovs-vswitchd's control socket: a fixed name if the daemon was started with one, else OVS's pid-file lookup. */
function appctlTarget(cfg: AgentConfig): string {
  const fixed = join(cfg.ovsRundir, 'ovs-vswitchd.ctl');
  return existsSync(fixed) ? fixed : 'ovs-vswitchd';
}

function onePort(ports: readonly TracedPort[], ref: string, what: string): TracedPort {
  const found = findPortsByNamespace(ports, ref);
  if (found.length === 0) throw new FlagError(what, `no nsvswitch port for namespace ${JSON.stringify(ref)}`);
  if (found.length > 1) throw new FlagError(what, `namespace ${JSON.stringify(ref)} is ambiguous: ${found.map((p) => p.netns).join(', ')} (give the path)`);
  return found[0]!;
}

function resolveTarget(ports: readonly TracedPort[], src: TracedPort, ref: string): TraceTarget {
  const ip6 = canonicalIpv6(ref);
  if (ip6 !== undefined) {
    // A link-local address is its port's own only within the source's tenant (the segment it is on).
    const owners = ports.filter((p) => !p.gateway && (p.ip6 === ip6 || eui64LinkLocal(p.mac) === ip6));
    const owner = owners.find((p) => p.tenantId === src.tenantId) ?? owners[0];
    return owner ? { kind: 'port', port: owner } : { kind: 'address', ip: ip6 };
  }
  if (!isIpv4(ref)) return { kind: 'port', port: onePort(ports, ref, 'DST') };
  const owners = ports.filter((p) => p.ip === ref);
  const owner = owners.find((p) => p.tenantId === src.tenantId) ?? owners[0];
  if (owner) return { kind: 'port', port: owner };
  // Off the tenant's subnet: the workload's default route sends it to its gateway.
  const gateway = ports.find((p) => p.gateway && p.tenantId === src.tenantId);
  return gateway && !inSubnetOf(gateway, ref) ? { kind: 'via-gateway', ip: ref, gateway } : { kind: 'address', ip: ref };
}

export default async function trace(argv: string[]): Promise<number> {
  try {
    const parsed = parseAgentFlags(argv, { allowUnknown: true });
    if (parsed.help) {
      process.stdout.write(`${USAGE}\nConfig flags (to find OVSDB and ovs-vswitchd):\n${configHelp()}${EXIT_HELP}`);
      return 0;
    }
    const args = parseTraceArgs(parsed.rest);
    const cfg = await loadConfig({ ...(parsed.configFile !== undefined ? { file: parsed.configFile } : {}), flags: parsed.flags });
    if (cfg.backend === 'ovn') {
      // ovn: OVN's logical pipeline decides (ovn-trace), then this host's integration bridge (ofproto/trace).
      const o = await traceOvn(cfg, args, appctlTarget(cfg));
      process.stdout.write(o.text);
      return o.allowed ? TRACE_EXIT.allowed : TRACE_EXIT.dropped;
    }
    const ports = await readPorts(cfg);
    const src = onePort(ports, args.src, 'SRC');
    if (src.ofport < 1) throw new FlagError('SRC', `port ${src.name} has no OpenFlow port number yet`);
    const dst = resolveTarget(ports, src, args.dst);
    const packet = tracePacket(src, dst, args.proto, args.vlan, canonicalIpv6(args.dst));
    const out = await run('ovs-appctl', ['-t', appctlTarget(cfg), 'ofproto/trace', cfg.bridge, packet.flow], {
      env: { OVS_RUNDIR: cfg.ovsRundir },
      ...(cfg.hostNetns !== undefined ? { netns: cfg.hostNetns } : {}),
    });
    const parsedTrace = parseTrace(out.stdout);
    const v = explainTrace({ src, dst, packet, ports, trace: parsedTrace });
    const v6 = / ?ipv6_src=([0-9a-f:]+),ipv6_dst=([0-9a-f:]+)/.exec(packet.flow) ?? /ipv6_src=([0-9a-f:]+)/.exec(packet.flow);
    const dstAddr = v6 && packet.proto.kind !== 'nd' ? (v6[2] ?? '') : /nd_target=([0-9a-f:]+)/.exec(packet.flow)?.[1];
    const dstLabel = dst.kind === 'port' ? `${args.dst} (${dst.port.gateway ? `gateway of tenant ${dst.port.tenant}, ` : ''}${v6 ? dstAddr : dst.port.ip ?? 'no IPv4 address'})` : dst.ip;
    const lines = [
      `${args.src} (${v6 ? v6[1] : src.ip ?? 'no IPv4 address'}) -> ${dstLabel} [${packet.proto.kind === 'tcp' || packet.proto.kind === 'udp' ? `${packet.proto.kind}${v6 ? '6' : ''}/${packet.proto.port}` : packet.proto.kind}${packet.vlan === undefined ? '' : `, VLAN ${packet.vlan}`}]: ${v.allowed ? 'ALLOWED' : 'DROPPED'}`,
      ...(packet.note ? [`  note: ${packet.note}`] : []),
      `  decided in table ${v.table ?? '-'} (${v.tableName})${v.step ? ` by: ${v.step.match || '(match all)'}, priority ${v.step.priority}` : ''}`,
      `  why: ${v.why}`,
      `  datapath actions: ${parsedTrace.datapathActions || '-'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (args.raw) process.stdout.write(`\n${out.stdout}`);
    return v.allowed ? TRACE_EXIT.allowed : TRACE_EXIT.dropped;
  } catch (err) {
    if (err instanceof FlagError || err instanceof ConfigError) {
      process.stderr.write(`nsvswitch trace: ${err.message}\n\n${USAGE}`);
      return TRACE_EXIT.usage;
    }
    process.stderr.write(`nsvswitch trace: ${err instanceof Error ? err.message : String(err)}\n`);
    return TRACE_EXIT.usage;
  }
}

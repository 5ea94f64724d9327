import { basename } from 'node:path';
import { run } from '../exec/run.js';
import type { AgentConfig } from '../config/types.js';
import { FlagError } from '../config/flag-error.js';
import { ExternalIds, OWNER_KEY, OWNER_VALUE } from '../core/ownership.js';
import { switchName } from '../core/ovn/names.js';
import { findPortsByNamespace, type TracedPort } from '../core/pipeline/trace/traced-port.js';
import { tracePacket, type TracePacket, type TraceProto, type TraceTarget } from '../core/pipeline/trace/trace-packet.js';
import { parseTrace } from '../openflow/ofproto-trace.js';
import { isIpv4 } from '../net/ipv4.js';
import { canonicalIpv6 } from '../net/ipv6.js';
import { OvsdbClient, cond, ovsMap } from '../ovsdb/index.js';
import { OVN_NB_DB } from '../ovsdb/ovn-nb/nb-rows.js';
import { CLI_CONNECT_TIMEOUT_MS } from '../agent/ovn/forget-chassis.js';

/** A port as the ovn trace sees it: its logical port, and (on this host) its OpenFlow port. */
export interface OvnTracedPort extends TracedPort {
  readonly lsp: string;
  readonly chassis: string;
}

export interface OvnTraceArgs {
  readonly src: string;
  readonly dst: string;
  readonly proto: TraceProto;
  readonly vlan: number | undefined;
  readonly raw: boolean;
}

/** The logical verdict of `ovn-trace --minimal`: delivered to the port (or anywhere, for an address no port has), or not. */
export function ovnVerdict(minimal: string, dstLsp: string | undefined): { allowed: boolean; outputs: string[] } {
  const outputs = [...minimal.matchAll(/output\("([^"]*)"\)/g)].map((m) => m[1]!);
  // A flood (ARP) also shows as outputs to every port of the switch.
  const allowed = dstLsp !== undefined ? outputs.includes(dstLsp) : outputs.length > 0;
  return { allowed, outputs };
}

/** OVN's microflow syntax for the packet tracePacket describes (the same fields). */
export function ovnMicroflow(src: OvnTracedPort, dst: TraceTarget, packet: TracePacket): string {
  const f = new Map(packet.flow.split(',').filter((x) => x.includes('=')).map((x) => x.split('=') as [string, string]));
  const parts = [`inport == "${src.lsp}"`, `eth.src == ${src.mac}`, `eth.dst == ${f.get('dl_dst') ?? 'ff:ff:ff:ff:ff:ff'}`];
  if (packet.vlan !== undefined) parts.push('vlan.present', `vlan.vid == ${packet.vlan}`);
  const kind = packet.proto.kind;
  if (kind === 'arp') {
    parts.push('arp', 'arp.op == 1', `arp.sha == ${src.mac}`, `arp.spa == ${src.ip}`, `arp.tpa == ${f.get('arp_tpa') ?? (dst.kind === 'port' ? dst.port.ip : dst.ip)}`);
  } else {
    parts.push(`ip4.src == ${src.ip}`, `ip4.dst == ${f.get('nw_dst') ?? ''}`, 'ip.ttl == 64');
    if (kind === 'icmp') parts.push('icmp4.type == 8', 'icmp4.code == 0');
    else parts.push(`${kind}.src == ${f.get(`${kind}_src`) ?? '40000'}`, `${kind}.dst == ${packet.proto.kind === 'tcp' || packet.proto.kind === 'udp' ? packet.proto.port : 0}`);
  }
  return parts.join(' && ');
}

/** This host's ports (OVSDB: with their OpenFlow port and iface-id). */
async function localPorts(cfg: AgentConfig): Promise<Map<string, number>> {
  const out = await run('ovs-vsctl', [`--db=${cfg.ovsdb}`, '--timeout=10', '--format=json', '--columns=name,ofport,external_ids', 'find', 'Interface', `external_ids:${ExternalIds.owner}=${OWNER_VALUE}`]);
  const doc = JSON.parse(out.stdout) as { headings: string[]; data: unknown[][] };
  const ofports = new Map<string, number>();
  const iIds = doc.headings.indexOf('external_ids');
  const iOf = doc.headings.indexOf('ofport');
  for (const row of doc.data) {
    const ids = row[iIds] as [string, [string, string][]] | undefined;
    const ifaceId = ids?.[0] === 'map' ? ids[1].find(([k]) => k === ExternalIds.ifaceId)?.[1] : undefined;
    if (ifaceId !== undefined && typeof row[iOf] === 'number') ofports.set(ifaceId, row[iOf]);
  }

  return ofports;
}

/** Every host's nsvswitch logical ports, from the northbound database. */
async function northboundPorts(cfg: AgentConfig): Promise<Omit<OvnTracedPort, 'ofport'>[]> {
  const client = await OvsdbClient.connect(cfg.ovnNbRemotes ?? '', { leaderOnly: false, databases: [OVN_NB_DB], connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS });
  try {
    const [res] = await client.transact(OVN_NB_DB, [{ op: 'select', table: 'Logical_Switch_Port', where: [cond('external_ids', 'includes', ovsMap({ [OWNER_KEY]: OWNER_VALUE }))], columns: ['name', 'external_ids'] }]);
    return (res?.rows ?? []).flatMap((r) => {
      const raw = r.external_ids as unknown as [string, [string, string][]];
      const ids = new Map(raw?.[0] === 'map' ? raw[1] : []);
      const ip = ids.get(ExternalIds.ip);
      const mac = ids.get(ExternalIds.mac);
      const tenant = ids.get(ExternalIds.tenant);
      if (!ip || !mac || !tenant) return [];
      return [{ name: String(r.name), lsp: String(r.name), chassis: ids.get(ExternalIds.chassis) ?? '', netns: (ids.get(ExternalIds.nsKey) ?? '').replace(/#\d+$/, ''), ip, mac, tenant, tenantId: 0 }];
    });
  } finally {
    await client.close();
  }
}

function pick(ports: readonly OvnTracedPort[], ref: string, what: string): OvnTracedPort {
  const byLsp = ports.filter((p) => p.lsp === ref);
  const found = byLsp.length > 0 ? byLsp : (findPortsByNamespace(ports, ref) as OvnTracedPort[]);
  if (found.length === 0) throw new FlagError(what, `no nsvswitch logical port for ${JSON.stringify(ref)}`);
  if (found.length > 1) throw new FlagError(what, `${JSON.stringify(ref)} is ambiguous: ${found.map((p) => `${p.lsp} (${p.chassis}:${basename(p.netns)})`).join(', ')} (give the logical port name)`);
  return found[0]!;
}

/**
 * `nsvswitch trace` with backend ovn: the logical verdict from `ovn-trace`
 * (OVN's pipeline: port security, the tenant's switch), then `ofproto/trace`
 * of the same packet on this host's integration bridge (ovn-controller's
 * flows), and one allowed/dropped verdict: allowed only if both deliver.
 */
export async function traceOvn(cfg: AgentConfig, args: OvnTraceArgs, appctlTarget: string): Promise<{ allowed: boolean; text: string }> {
  if (args.proto.kind === 'icmp6' || args.proto.kind === 'nd' || canonicalIpv6(args.dst) !== undefined) {
    throw new FlagError('--proto', 'backend ovn is IPv4 only: trace icmp, arp, tcp/PORT or udp/PORT to an IPv4 address or a namespace');
  }
  const [ofports, nb] = await Promise.all([localPorts(cfg), northboundPorts(cfg)]);
  const ports: OvnTracedPort[] = nb.map((p) => ({ ...p, ofport: ofports.get(p.lsp) ?? -1 }));
  const src = pick(ports.filter((p) => p.ofport > 0), args.src, 'SRC');
  let dst: TraceTarget;
  if (isIpv4(args.dst)) {
    const owner = ports.find((p) => p.ip === args.dst && p.tenant === src.tenant);
    dst = owner ? { kind: 'port', port: owner } : { kind: 'address', ip: args.dst };
  } else {
    const local = ports.filter((p) => p.ofport > 0);
    const mine = local.filter((p) => p.lsp === args.dst || findPortsByNamespace([p], args.dst).length > 0);
    dst = { kind: 'port', port: mine.length === 1 ? mine[0]! : pick(ports, args.dst, 'DST') };
  }
  const dstLsp = dst.kind === 'port' ? (dst.port as OvnTracedPort).lsp : undefined;
  const packet = tracePacket(src, dst, args.proto, args.vlan);
  const microflow = ovnMicroflow(src, dst, packet);
  const netns = cfg.hostNetns !== undefined ? { netns: cfg.hostNetns } : {};
  const logical = await run('ovn-trace', [`--db=${cfg.ovnSbRemotes ?? ''}`, '--no-leader-only', '--minimal', switchName(src.tenant), microflow], netns);
  const physical = await run('ovs-appctl', ['-t', appctlTarget, 'ofproto/trace', cfg.bridge, packet.flow], { env: { OVS_RUNDIR: cfg.ovsRundir }, ...netns });
  const lv = ovnVerdict(logical.stdout, dstLsp);
  const pt = parseTrace(physical.stdout);
  const leaves = pt.datapathActions !== '' && pt.datapathActions !== 'drop';
  const allowed = lv.allowed && leaves;
  const dstLabel = dst.kind === 'port' ? `${args.dst} (${dst.port.ip}, ${(dst.port as OvnTracedPort).lsp} on ${(dst.port as OvnTracedPort).chassis})` : dst.ip;
  const protoText = packet.proto.kind === 'tcp' || packet.proto.kind === 'udp' ? `${packet.proto.kind}/${packet.proto.port}` : packet.proto.kind;
  const lines = [
    `${args.src} (${src.ip}, ${src.lsp}) -> ${dstLabel} [${protoText}${packet.vlan === undefined ? '' : `, VLAN ${packet.vlan}`}]: ${allowed ? 'ALLOWED' : 'DROPPED'}`,
    ...(packet.note ? [`  note: ${packet.note}`] : []),
    `  logical (ovn-trace on ${switchName(src.tenant)}): ${lv.outputs.length > 0 ? `output to ${lv.outputs.map((o) => `"${o}"`).join(', ')}` : 'dropped'}${lv.allowed ? '' : dstLsp !== undefined && lv.outputs.length > 0 ? ` (not to "${dstLsp}")` : ''}`,
    `  why: ${!lv.allowed ? 'OVN\'s logical pipeline drops it (port security, or another tenant\'s switch)' : leaves ? 'the tenant\'s logical switch delivers it, and this host\'s integration bridge sends it on' : 'the logical pipeline delivers it, but this host\'s integration bridge drops it (ovn-controller has not installed the flows?)'}`,
    `  datapath actions: ${pt.datapathActions || '-'}`,
  ];
  const raw = args.raw ? `\n${logical.stdout}\n${physical.stdout}` : '';
  return { allowed, text: `${lines.join('\n')}\n${raw}` };
}

import { decodeCookie, isOurCookie } from '../cookie.js';
import { Category, Table } from '../tables.js';
import { eui64LinkLocal } from '../../../net/ipv6.js';
import type { TracedPort } from './traced-port.js';
import { tracedOutputs, type ParsedTrace, type TraceStep } from '../../../openflow/ofproto-trace.js';
import type { TracePacket, TraceTarget } from './trace-packet.js';

export interface TraceVerdict {
  readonly allowed: boolean;
  /** Table whose flow decided the packet's fate (the last one visited). */
  readonly table: number | undefined;
  readonly tableName: string;
  readonly step: TraceStep | undefined;
  /** Plain-words reason. */
  readonly why: string;
}

export function tableName(table: number | undefined): string {
  switch (table) {
    case Table.classify: return 'classify + port security';
    case Table.arp: return 'ARP responder';
    case Table.ndGuard: return 'IPv6 neighbour discovery guard';
    case Table.ndResponder: return 'IPv6 neighbour discovery responder';
    case Table.ndReply: return 'IPv6 neighbour advertisement (switch answer)';
    case Table.l2: return 'L2 forward';
    default: return table === undefined ? 'none' : 'not an nsvswitch table';
  }
}

export interface ExplainInput {
  readonly src: TracedPort;
  readonly dst: TraceTarget;
  readonly packet: TracePacket;
  readonly ports: readonly TracedPort[];
  readonly trace: ParsedTrace;
}

const describePort = (p: TracedPort): string =>
  p.gateway ? `${p.name} (the gateway port of tenant ${p.tenant || p.tenantId}, ${p.ip})` : `${p.name} (namespace ${p.netns || '?'}, tenant ${p.tenant || p.tenantId})`;

/**
 * The verdict (does the packet reach DST?) and the reason in plain words,
 * from the nsvswitch flow that decided: the last one the trace visited.
 */
export function explainTrace({ src, dst, packet, ports, trace }: ExplainInput): TraceVerdict {
  const step = trace.steps.at(-1);
  const dstPort = dst.kind === 'port' ? dst.port : dst.kind === 'via-gateway' ? dst.gateway : undefined;
  const leftSwitch = trace.datapathActions !== '' && trace.datapathActions !== 'drop';
  const outputs = tracedOutputs(trace);
  const category = step?.cookie !== undefined && isOurCookie(step.cookie) ? decodeCookie(step.cookie).category : undefined;
  const answered = (category === Category.arpResponder || category === Category.ndReply) && leftSwitch;
  const reached = dstPort !== undefined && (answered ? dstPort.tenantId === src.tenantId : leftSwitch && outputs.includes(dstPort.ofport));
  const verdict = (why: string): TraceVerdict => ({ allowed: reached, table: step?.table, tableName: tableName(step?.table), step, why });
  const remark = step?.lines.find((l) => l.startsWith('>>') && !l.includes('skipping output to input port'));
  const lostInSwitch = !leftSwitch && remark ? ` — but nothing left the switch: ${remark.slice(2).trim()}` : '';
  if (!step || category === undefined) {
    return verdict(step ? `no nsvswitch flow decided: table ${step.table} ${step.priority < 0 ? 'had no matching flow' : 'holds a foreign flow'} (is the agent running and the port ready?)` : 'the trace visited no table');
  }
  const arpTarget = packet.proto.kind === 'arp' ? (dstPort ?? ports.find((p) => packet.flow.includes(`arp_tpa=${p.ip},`))) : undefined;
  switch (category) {
    case Category.l2Unicast: {
      const to = ports.find((p) => outputs.includes(p.ofport));
      return verdict(`same tenant "${src.tenant}": delivered to ${to ? describePort(to) : 'its port'}${lostInSwitch}`);
    }
    case Category.l2Flood: {
      const n = ports.filter((p) => p.tenantId === src.tenantId && p !== src).length;
      const flooded = `flooded only to the ${n} other port(s) of tenant "${src.tenant}"`;
      if (packet.proto.kind === 'arp' && arpTarget && arpTarget.tenantId !== src.tenantId) {
        return verdict(`tenants are isolated: the ARP request is ${flooded}; ${arpTarget.ip} belongs to tenant "${arpTarget.tenant}", which never sees it`);
      }
      if (packet.proto.kind === 'arp' && !arpTarget) return verdict(`the ARP request is ${flooded}, and no port has that address: nobody answers`);
      return verdict(`broadcast/multicast: ${flooded}${lostInSwitch}`);
    }
    case Category.arpResponder: {
      const owner = ports.find((p) => p.tenantId === src.tenantId && packet.flow.includes(`arp_tpa=${p.ip},`));
      return verdict(`the switch answered the ARP request itself: ${owner ? `${owner.ip} is at ${owner.mac} (${describePort(owner)})` : 'the address is in the same tenant'}${lostInSwitch}`);
    }
    case Category.l2Miss:
      if (dstPort && dstPort.tenantId !== src.tenantId) {
        return verdict(`tenants are isolated: ${describePort(dstPort)} is not in tenant "${src.tenant}", and tenant "${src.tenant}" has no port with MAC ${dstPort.mac}`);
      }
      return verdict(`no port of tenant "${src.tenant}" has the destination MAC`);
    case Category.portSpoofDrop:
      if (packet.vlan !== undefined) {
        return verdict(`port security: ${src.name} accepts untagged frames only; this one carries an 802.1Q tag (VLAN ${packet.vlan}${packet.vlan === 0 ? ', priority-tagged' : ''})`);
      }
      if (packet.flow.startsWith('icmp6') || packet.flow.startsWith('ipv6') || packet.flow.startsWith('tcp6') || packet.flow.startsWith('udp6')) {
        return verdict(`port security: ${src.name} may only send untagged IPv6 with its own MAC ${src.mac} from ${src.ip6 ?? '(no IPv6 address)'} or ${eui64LinkLocal(src.mac)}; this packet did not match`);
      }
      if (src.ip === undefined) return verdict(`port security: ${src.name} has no IPv4 address (its tenant is IPv6-only): it may send no IPv4 and no ARP at all`);
      return verdict(`port security: ${src.name} may only send untagged IPv4 with its own MAC ${src.mac} and address ${src.ip}, or ARP with the same sender; this packet did not match`);
    case Category.ndReply: {
      const target = /nd_target=([0-9a-f:]+)/.exec(packet.flow)?.[1];
      const owner = ports.find((p) => p.tenantId === src.tenantId && target !== undefined && (p.ip6 === target || eui64LinkLocal(p.mac) === target));
      return verdict(`the switch answered the neighbour solicitation itself: ${owner ? `${target} is at ${owner.mac} (${describePort(owner)})` : 'the address is in the same tenant'}${lostInSwitch}`);
    }
    case Category.portIp6:
    case Category.portNd:
      return verdict(`allowed by ${src.name}'s IPv6 port security${lostInSwitch}`);
    case Category.ndSpoofDrop:
      return verdict(`neighbour discovery guard: ${src.name} may solicit only with its own MAC ${src.mac} as source link-layer address, and advertise only its own addresses with its own MAC; this packet did not match`);
    case Category.raDrop:
      return verdict('router advertisements are dropped from every port: workloads get their addresses and routes from the manifest, never from a neighbour');
    case Category.redirectDrop:
      return verdict('ICMPv6 redirects are dropped from every port');
    case Category.dhcp6ServerDrop:
      return verdict('DHCPv6 server messages (UDP source port 547) are dropped from every port: addresses are static');
    case Category.dhcpServerDrop:
      return verdict('DHCP server messages (UDP source port 67) are dropped from every port: addresses are static');
    case Category.ipv6Drop:
      return verdict(`IPv6 from ${src.name} is dropped: tenant "${src.tenant}" has no IPv6 prefix (spec.subnet6)`);
    case Category.classifyMiss:
      return verdict(`in_port ${src.ofport} has no nsvswitch flows: the port is not programmed (yet)`);
    default:
      return verdict(`decided by nsvswitch flow category ${category}${lostInSwitch}`);
  }
}

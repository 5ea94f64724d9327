import { eui64LinkLocal } from '../net/ipv6.js';
import type { PlugSpec } from './types.js';

/** One line of an `ip -batch` file and what it does, for error messages. */
export interface BatchLine {
  readonly step: string;
  readonly text: string;
}

// A token that ip's batch tokenizer keeps as exactly one argument.
const SAFE_TOKEN = /^[A-Za-z0-9_./:+-]+$/;

function token(value: string): string {
  if (!SAFE_TOKEN.test(value)) throw new TypeError(`unsafe token for ip -batch: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The one host-side line per namespace: the veth pair is created with its
 * peer directly in the namespace (nsRef is a pinned /proc/PID/fd/N path,
 * never the untrusted namespace path), MAC and MTU set. The host end is
 * brought up by hostUpLine.
 */
export function hostLine(spec: PlugSpec, nsRef: string): BatchLine {
  const text = [
    'link add dev', token(spec.hostIf), 'mtu', String(spec.mtu),
    'type veth peer name', token(spec.peerTmp), 'address', token(spec.mac), 'mtu', String(spec.mtu),
    'netns', token(nsRef),
  ].join(' ');
  return { step: 'create veth', text };
}

/**
 * Brings a host end up, after the guard sealed it (see host-guard/): IPv6 is
 * already disabled there; addrgenmode none is kept so that a host whose
 * sysctls are reset still generates no link-local address on it.
 */
export function hostUpLine(spec: PlugSpec): BatchLine {
  return { step: 'host end up', text: `link set dev ${token(spec.hostIf)} addrgenmode none up` };
}

/**
 * Lines run inside the namespace, in order. Run without -force: if the
 * rename fails (name taken), the later lines must not touch the interface
 * that already has that name.
 */
export function namespaceLines(spec: PlugSpec): BatchLine[] {
  const dev = token(spec.ifName);
  const v6 = spec.ipv6;
  const lines: BatchLine[] = [
    { step: 'rename', text: `link set dev ${token(spec.peerTmp)} name ${dev}` },
    // An IPv6-only port: no IPv4 address (and no IPv4 route: checkPlugSpec refuses a gateway without one).
    ...(spec.ip === undefined ? [] : [{ step: 'address', text: `addr add ${token(spec.ip)}/${spec.prefixLen} dev ${dev}` }]),
    // Dual stack: the link-local address is the EUI-64 one of the port's MAC, whatever the namespace's default mode.
    ...(v6 ? [{ step: 'addrgenmode eui64', text: `link set dev ${dev} addrgenmode eui64` }] : []),
    // ...and that link-local address set here, without DAD, while the link is down: one the kernel makes at link up
    // stays tentative (unusable) until a queued addrconf work item clears it, even with accept_dad=0. The kernel's
    // own attempt at link up then finds it there and adds nothing (see rtnlConfigure6 in native/rtnl.c).
    ...(v6 ? [{ step: 'link-local', text: `addr add ${token(eui64LinkLocal(spec.mac))}/64 dev ${dev} nodad` }] : []),
    { step: 'loopback up', text: 'link set dev lo up' },
    { step: 'link up', text: `link set dev ${dev} up` },
    ...(v6 ? [{ step: 'address6', text: `addr add ${token(v6.ip)}/${v6.prefixLen} dev ${dev} nodad` }] : []),
  ];
  if (spec.gateway !== undefined) lines.push({ step: 'default route', text: `route add default via ${token(spec.gateway)} dev ${dev}` });
  // "::/0", not "default": a batch line has no -6, and the destination names the family.
  if (v6?.gateway !== undefined) lines.push({ step: 'default route6', text: `route add ::/0 via ${token(v6.gateway)} dev ${dev}` });
  return lines;
}

export function unplugLines(hostIfs: readonly string[]): BatchLine[] {
  return hostIfs.map((i) => ({ step: 'delete veth', text: `link del dev ${token(i)}` }));
}

export function batchText(lines: readonly BatchLine[]): string {
  return lines.map((l) => `${l.text}\n`).join('');
}

import type { PlugSpec } from './types.js';
import { InvalidPlugSpecError } from './errors/invalid-plug-spec-error.js';

// Kernel names: ≤15 bytes, no '/', ':' or whitespace. We also refuse quotes,
// '#', '\\' and a leading '-', so a name is always exactly one `ip -batch` token.
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,14}$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** veth accepts 68..65535; IPv4 needs at least 68. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

/** Whether a string is a kernel interface name that is safe as one `ip -batch` token. */
export function isSafeIfName(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..';
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * Every value that goes into `ip -batch` text is checked here first: batch
 * text is tokenized by ip, so a value with a space or newline would become
 * extra arguments or extra commands. The namespace path never goes into
 * batch text at all (see pinned-namespace.ts), so it is not checked.
 */
export function checkPlugSpec(spec: PlugSpec): InvalidPlugSpecError | undefined {
  const bad = (field: string, value: string | number): InvalidPlugSpecError =>
    new InvalidPlugSpecError(spec.nsPath, spec.hostIf, field, String(value));
  if (!isSafeIfName(spec.hostIf)) return bad('host interface name', spec.hostIf);
  if (!isSafeIfName(spec.peerTmp)) return bad('temporary peer name', spec.peerTmp);
  if (!isSafeIfName(spec.ifName)) return bad('interface name', spec.ifName);
  if (spec.ifName === 'lo') return bad('interface name', spec.ifName);
  if (spec.peerTmp === spec.ifName) return bad('temporary peer name (equals the interface name)', spec.peerTmp);
  if (!MAC.test(spec.mac)) return bad('MAC address', spec.mac);
  if ((Number.parseInt(spec.mac.slice(0, 2), 16) & 1) === 1) return bad('MAC address (multicast)', spec.mac);
  if (!isIpv4(spec.ip)) return bad('IPv4 address', spec.ip);
  if (!Number.isInteger(spec.prefixLen) || spec.prefixLen < 1 || spec.prefixLen > 32) return bad('prefix length', spec.prefixLen);
  if (!Number.isInteger(spec.mtu) || spec.mtu < MTU_MIN || spec.mtu > MTU_MAX) return bad('MTU', spec.mtu);
  if (spec.gateway !== undefined && !isIpv4(spec.gateway)) return bad('gateway', spec.gateway);
  if (spec.gateway !== undefined && spec.gateway === spec.ip) return bad('gateway (equals the address)', spec.gateway);
  return undefined;
}

import type { PlugSpec } from './types.js';
import { InvalidPlugSpecError } from './errors/invalid-plug-spec-error.js';
import { isIpv4, isIpv6, isSafeIfName, isValidMtu, workloadIfNameFault } from '../net/index.js';

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

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
  if (workloadIfNameFault(spec.ifName) !== undefined) return bad('interface name', spec.ifName);
  if (spec.peerTmp === spec.ifName) return bad('temporary peer name (equals the interface name)', spec.peerTmp);
  if (!MAC.test(spec.mac)) return bad('MAC address', spec.mac);
  if ((Number.parseInt(spec.mac.slice(0, 2), 16) & 1) === 1) return bad('MAC address (multicast)', spec.mac);
  // An IPv6-only port has neither an IPv4 address nor a prefix length (nor an IPv4 gateway); any other port has both.
  const v4 = spec.ip !== undefined || spec.prefixLen !== undefined || spec.ipv6 === undefined;
  if (v4 && (spec.ip === undefined || !isIpv4(spec.ip))) return bad('IPv4 address', spec.ip ?? 'none');
  if (v4 && (spec.prefixLen === undefined || !Number.isInteger(spec.prefixLen) || spec.prefixLen < 1 || spec.prefixLen > 32)) return bad('prefix length', spec.prefixLen ?? 'none');
  if (!isValidMtu(spec.mtu)) return bad('MTU', spec.mtu);
  if (!v4 && spec.gateway !== undefined) return bad('gateway (an IPv6-only port has no IPv4 address)', spec.gateway);
  if (spec.gateway !== undefined && !isIpv4(spec.gateway)) return bad('gateway', spec.gateway);
  if (spec.gateway !== undefined && spec.gateway === spec.ip) return bad('gateway (equals the address)', spec.gateway);
  const v6 = spec.ipv6;
  if (v6 !== undefined) {
    if (!isIpv6(v6.ip)) return bad('IPv6 address', v6.ip);
    if (!Number.isInteger(v6.prefixLen) || v6.prefixLen < 1 || v6.prefixLen > 128) return bad('IPv6 prefix length', v6.prefixLen);
    if (v6.gateway !== undefined && !isIpv6(v6.gateway)) return bad('IPv6 gateway', v6.gateway);
    if (v6.gateway !== undefined && v6.gateway === v6.ip) return bad('IPv6 gateway (equals the address)', v6.gateway);
  }
  return undefined;
}

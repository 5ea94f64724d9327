/** OpenFlow's last usable port number; 0xff00 and above are reserved. */
export const MAX_OFPORT = 0xfeff;

/**
 * Picks `count` OpenFlow port numbers no interface uses or has asked for, so
 * a new port's number is known before ovs-vswitchd assigns it and its flows
 * can be installed while OVSDB and ovs-vswitchd do their part.
 */
export function freeOfports(interfaces: Iterable<{ readonly ofport: number | undefined; readonly ofport_request: number | undefined }>, count: number): number[] {
  const used = new Set<number>();
  for (const i of interfaces) {
    if (i.ofport !== undefined && i.ofport > 0) used.add(i.ofport);
    if (i.ofport_request !== undefined) used.add(i.ofport_request);
  }
  const out: number[] = [];
  for (let n = 1; n <= MAX_OFPORT && out.length < count; n++) if (!used.has(n)) out.push(n);
  return out;
}

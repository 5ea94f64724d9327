import { MAX_OFPORT, OFPORT_REQUEST_MIN } from '../net/ofport.js';

/**
 * Picks `count` OpenFlow port numbers no interface uses or has asked for, so
 * a new port's number is known before ovs-vswitchd assigns it and its flows
 * can be installed while OVSDB and ovs-vswitchd do their part. Numbers come
 * from OFPORT_REQUEST_MIN up (the low ones are what ovs-vswitchd hands out
 * to ports nobody asked a number for), then from 1 if that range is full.
 * Ports already in place keep whatever number they have: nothing is renumbered.
 */
export function freeOfports(interfaces: Iterable<{ readonly ofport: number | undefined; readonly ofport_request: number | undefined }>, count: number): number[] {
  const used = new Set<number>();
  for (const i of interfaces) {
    if (i.ofport !== undefined && i.ofport > 0) used.add(i.ofport);
    if (i.ofport_request !== undefined) used.add(i.ofport_request);
  }
  const out: number[] = [];
  const take = (from: number, to: number): void => {
    for (let n = from; n <= to && out.length < count; n++) if (!used.has(n)) out.push(n);
  };
  take(OFPORT_REQUEST_MIN, MAX_OFPORT);
  take(1, OFPORT_REQUEST_MIN - 1);
  return out;
}

/**
 * Command lines of the OVN routes the bench times, as argv arrays (never a
 * shell): the per-container steps of OVN's Docker driver
 * (ovn-docker-overlay-driver) and the bulk transactions of the floor.
 */

/** One workload port as the hand-run routes make it. */
export interface PortSpec {
  /** Logical_Switch_Port name = the Interface's external_ids:iface-id = the host-side veth name (≤ 15 chars). */
  readonly name: string;
  readonly mac: string;
  /** Address without prefix. */
  readonly ip: string;
  /** Chassis for options:requested-chassis (unset: any chassis with the iface-id claims it). */
  readonly chassis?: string;
}

/** The driver's flags on every ovn-nbctl/ovs-vsctl call (it uses --timeout=5; a loaded shared machine needs longer). */
export function ctlFlags(timeoutS: number): string[] {
  return [`--timeout=${timeoutS}`, '-vconsole:off'];
}

/**
 * The driver's northbound steps for one endpoint, one ovn-nbctl process
 * each: CreateEndpoint runs `lsp-add` and `lsp-set-addresses`; port security
 * (which the driver itself leaves unset) is one more process, so the port is
 * isolated as nsvswitch's are; Join reads the addresses back (`get`).
 */
export function driverNbSteps(db: string, timeoutS: number, ls: string, p: PortSpec): string[][] {
  const pre = [`--db=${db}`, ...ctlFlags(timeoutS)];
  const addr = `${p.mac} ${p.ip}`;
  return [
    [...pre, 'lsp-add', ls, p.name],
    [...pre, 'lsp-set-addresses', p.name, addr],
    [...pre, 'lsp-set-port-security', p.name, addr],
    [...pre, '--if-exists', 'get', 'Logical_Switch_Port', p.name, 'addresses'],
  ];
}

/** The veth end that stays on the host (the driver: eid[0:15]) and the one that goes into the container (eid[0:13] + "_c"). */
export function driverVethNames(eid: string): { outside: string; inside: string } {
  return { outside: eid.slice(0, 15), inside: `${eid.slice(0, 13)}_c` };
}

/** The driver's Join: `ip` steps on the host, in its order. */
export function driverIpSteps(p: PortSpec): string[][] {
  const { outside, inside } = driverVethNames(p.name);
  return [
    ['link', 'add', inside, 'type', 'veth', 'peer', 'name', outside],
    ['link', 'set', 'dev', inside, 'address', p.mac],
    ['link', 'set', outside, 'up'],
  ];
}

/** The driver's Join: `ovs-vsctl add-port`, then `ovs-vsctl set interface` with the iface-id (two processes). */
export function driverVsctlSteps(bridge: string, timeoutS: number, p: PortSpec, vmId: string): string[][] {
  const { outside } = driverVethNames(p.name);
  return [
    [...ctlFlags(timeoutS), 'add-port', bridge, outside],
    [...ctlFlags(timeoutS), 'set', 'interface', outside, `external_ids:attached-mac=${p.mac}`, `external_ids:iface-id=${p.name}`, `external_ids:vm-id=${vmId}`, 'external_ids:iface-status=active'],
  ];
}

/**
 * What Docker does after Join (over netlink, no process): loopback up, the
 * inside end moved into the namespace, renamed, addressed and up. Here:
 * the move from the host, then one `ip -batch` inside the namespace.
 */
export function moveInsideArgs(p: PortSpec, nsPath: string): string[] {
  return ['link', 'set', driverVethNames(p.name).inside, 'netns', nsPath];
}

export function insideBatch(p: PortSpec, ifName: string, prefixLen: number): string {
  const { inside } = driverVethNames(p.name);
  return ['link set lo up', `link set ${inside} name ${ifName}`, `addr add ${p.ip}/${prefixLen} dev ${ifName}`, `link set ${ifName} up`, ''].join('\n');
}

/** One ovn-nbctl transaction creating every port of the list, addresses, port security and requested chassis included. */
export function bulkLspArgs(ls: string, ports: readonly PortSpec[]): string[] {
  const out: string[] = [];
  for (const p of ports) {
    const addr = `${p.mac} ${p.ip}`;
    out.push('--', 'lsp-add', ls, p.name, '--', 'lsp-set-addresses', p.name, addr, '--', 'lsp-set-port-security', p.name, addr);
    if (p.chassis !== undefined) out.push('--', 'set', 'Logical_Switch_Port', p.name, `options:requested-chassis=${p.chassis}`);
  }
  return out;
}

/** One ovs-vsctl transaction adding every port to the bridge, each Interface bound by its iface-id. */
export function bulkAddPortArgs(bridge: string, ports: readonly PortSpec[]): string[] {
  return ports.flatMap((p) => ['--', 'add-port', bridge, p.name, '--', 'set', 'Interface', p.name, `external_ids:iface-id=${p.name}`]);
}

/** One ovs-vsctl transaction removing the ports (missing ones are fine). */
export function bulkDelPortArgs(bridge: string, names: readonly string[]): string[] {
  return names.flatMap((n) => ['--', '--if-exists', 'del-port', bridge, n]);
}

import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FLOWS_PER_PORT, FLOWS_PER_TENANT, IPV6_BASE_FLOWS, IPV6_FLOWS_PER_PORT, baseFlows, pipelineFlows } from '../../src/core/pipeline/index.js';
import { ipv6InSubnet } from '../../src/net/ipv6.js';
import { diffFlows, parseFlowLine, type Flow } from '../../src/openflow/index.js';
import { PEER_TMP_PREFIX, isHostIfName } from '../../src/core/names.js';
import { ipInSubnet } from '../../src/ipam/index.js';
import { run } from '../../src/exec/run.js';
import { BRIDGE, eventually, pool, type AgentEnv } from './agent-env.js';
import { describeTraffic, trafficMatrix, trafficProblems, type TrafficResult } from './traffic.js';

/** What one tenant should hold once the agent settled. */
export interface TenantExpectation {
  readonly subnet: string;
  /** Namespace file names (in the namespace dir) that must be plugged into this tenant. */
  readonly names: readonly string[];
  /** Expected MTU of the workload interface, when the test set one. */
  readonly mtu?: number;
  /** Workload interface name (default eth0). */
  readonly ifName?: string;
  /** Dual-stack tenants: the IPv6 prefix every port must have an address in (absent: IPv4 only, no IPv6 record). */
  readonly subnet6?: string;
}

/** Address of one plugged namespace incarnation, taken before a fault. */
export interface AddressRecord {
  readonly name: string;
  readonly cidr: string;
}

export interface InvariantOptions {
  readonly expectedByTenant: Readonly<Record<string, TenantExpectation>>;
  /** Snapshot from addressSnapshot(): namespaces (path#inode) plugged before the fault keep these addresses. */
  readonly addressesBefore?: ReadonlyMap<string, AddressRecord>;
  /** The namespace dir as the agent was configured with it (default env.workloads.dir). */
  readonly nsDir?: string;
  /** How long the agent gets to converge before the structural checks fail (ms). */
  readonly settleMs?: number;
  /**
   * Compare the flows' content with the pipeline for the recorded ports
   * (default true). Only the checker's own self-test turns it off, to show
   * the pings catch broken isolation on their own.
   */
  readonly flowContent?: boolean;
  /** Same-tenant and cross-tenant pairs probed with real pings, TCP and UDP (default 3 each). */
  readonly samplePairs?: number;
}

/** What a check looked at, for the fault report. */
export interface InvariantReport {
  readonly ports: number;
  readonly tenants: number;
  readonly namespacesInspected: number;
  readonly addressesCompared: number;
  readonly sameTenantPings: number;
  readonly crossTenantProbes: number;
  /** Pairs (same and cross tenant) that also carried, or had to stop, a TCP stream and UDP datagrams. */
  readonly trafficPairs: number;
  readonly flows: number;
  readonly settleMs: number;
}

interface Row {
  readonly name: string;
  readonly ofport: number;
  readonly ids: Record<string, string>;
}

/**
 * Addresses of every port that is ready now (or recorded at all, with
 * pendingToo: right after a SIGKILL), keyed by namespace incarnation (path#inode).
 */
export async function addressSnapshot(env: AgentEnv, opts: { pendingToo?: boolean } = {}): Promise<Map<string, AddressRecord>> {
  const out = new Map<string, AddressRecord>();
  for (const r of await env.ownedInterfaces()) {
    if (!opts.pendingToo && r.ids['nsvswitch-installed'] !== 'true') continue;
    const path = r.ids['nsvswitch-netns'] ?? '';
    out.set(`${path}#${r.ids['nsvswitch-netns-inode'] ?? ''}`, { name: basename(path), cidr: r.ids['nsvswitch-ip'] ?? '' });
  }
  return out;
}

/** Every flow on the bridge (ours or not: a cookie of 0 is not even printed), as dump-flows lines. */
export async function bridgeFlows(env: AgentEnv, bridge = BRIDGE): Promise<string[]> {
  const out = await env.sb.ofctl('-O', 'OpenFlow15', '--no-stats', 'dump-flows', env.sb.mgmt(bridge));
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^\S+ reply\b/.test(l) && !l.startsWith('OFPST_') && !l.startsWith('NXST_'));
}

async function inodeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.ino, () => undefined);
}

/**
 * The structural part: rows, veths, inodes, ready markers, addresses in the
 * subnet, flow count. Returns the list of violations (empty = holds).
 */
async function structuralProblems(env: AgentEnv, opts: InvariantOptions, nsDir: string): Promise<{ problems: string[]; rows: Row[]; flows: number }> {
  const problems: string[] = [];
  const rows = await env.ownedInterfaces();
  const expectedTenantOf = new Map<string, string>();
  for (const [tenant, e] of Object.entries(opts.expectedByTenant)) for (const n of e.names) expectedTenantOf.set(n, tenant);

  // One owned, ready Interface per expected namespace; no row for anything else.
  const rowsByNs = new Map<string, Row[]>();
  for (const r of rows) {
    const path = r.ids['nsvswitch-netns'] ?? '';
    const list = rowsByNs.get(path) ?? [];
    list.push(r);
    rowsByNs.set(path, list);
  }
  for (const [name, tenant] of expectedTenantOf) {
    const path = join(nsDir, name);
    const mine = rowsByNs.get(path) ?? [];
    if (mine.length !== 1) {
      problems.push(`namespace ${name}: ${mine.length} port rows (want 1)`);
      continue;
    }
    const r = mine[0]!;
    if (r.ids['nsvswitch-tenant'] !== tenant) problems.push(`namespace ${name}: port ${r.name} in tenant ${r.ids['nsvswitch-tenant']} (want ${tenant})`);
    if (r.ids['nsvswitch-installed'] !== 'true') problems.push(`namespace ${name}: port ${r.name} not marked installed`);
    if (!(r.ofport > 0)) problems.push(`namespace ${name}: port ${r.name} has ofport ${r.ofport}`);
    const inode = await inodeOf(path);
    if (String(inode) !== r.ids['nsvswitch-netns-inode']) problems.push(`namespace ${name}: port ${r.name} records inode ${r.ids['nsvswitch-netns-inode']}, the file has ${inode}`);
  }
  for (const [path, list] of rowsByNs) {
    if (dirname(path) !== nsDir || !expectedTenantOf.has(basename(path))) problems.push(`port ${list.map((r) => r.name).join(',')} for namespace ${path} that should not be plugged`);
  }

  // Addresses: inside the tenant's subnet, unique per tenant.
  for (const [tenant, e] of Object.entries(opts.expectedByTenant)) {
    const ips = rows.filter((r) => r.ids['nsvswitch-tenant'] === tenant).map((r) => r.ids['nsvswitch-ip'] ?? '');
    for (const cidr of ips) {
      const ip = cidr.split('/')[0] ?? '';
      if (!ipInSubnet(ip, e.subnet) || cidr.split('/')[1] !== e.subnet.split('/')[1]) problems.push(`tenant ${tenant}: address ${cidr} outside ${e.subnet}`);
    }
    const dup = ips.filter((ip, i) => ips.indexOf(ip) !== i);
    if (dup.length > 0) problems.push(`tenant ${tenant}: duplicate addresses ${[...new Set(dup)].join(', ')}`);
    // IPv6 per family: every port of a dual-stack tenant has one, inside its prefix, unique; others none.
    const ip6s = rows.filter((r) => r.ids['nsvswitch-tenant'] === tenant).map((r) => r.ids['nsvswitch-ip6']);
    for (const cidr of ip6s) {
      if (e.subnet6 === undefined) {
        if (cidr !== undefined) problems.push(`tenant ${tenant} (IPv4 only): port records IPv6 ${cidr}`);
      } else if (cidr === undefined || !ipv6InSubnet(cidr.split('/')[0] ?? '', e.subnet6) || cidr.split('/')[1] !== e.subnet6.split('/')[1]) {
        problems.push(`tenant ${tenant}: IPv6 address ${cidr ?? '(none)'} outside ${e.subnet6}`);
      }
    }
    const dup6 = ip6s.filter((ip, i) => ip !== undefined && ip6s.indexOf(ip) !== i);
    if (dup6.length > 0) problems.push(`tenant ${tenant}: duplicate IPv6 addresses ${[...new Set(dup6)].join(', ')}`);
  }

  // Host side: our veths are exactly the rows; no namespace-side temp names left in the host.
  const links = await env.hostLinks();
  const veths = new Set(links.filter(isHostIfName));
  const rowNames = new Set(rows.map((r) => r.name));
  const vethNoRow = [...veths].filter((v) => !rowNames.has(v));
  const rowNoVeth = [...rowNames].filter((n) => !veths.has(n));
  if (vethNoRow.length > 0) problems.push(`host veths without a row: ${vethNoRow.slice(0, 10).join(', ')} (${vethNoRow.length})`);
  if (rowNoVeth.length > 0) problems.push(`rows without a host veth: ${rowNoVeth.slice(0, 10).join(', ')} (${rowNoVeth.length})`);
  const temps = links.filter((l) => l.startsWith(PEER_TMP_PREFIX));
  if (temps.length > 0) problems.push(`namespace-side temp links left in the host: ${temps.join(', ')}`);

  // Flows: the base flows, FLOWS_PER_PORT per port, FLOWS_PER_TENANT per tenant with ports. Nothing else.
  const flows = await bridgeFlows(env);
  const tenantsWithPorts = new Set(rows.map((r) => r.ids['nsvswitch-tenant'])).size;
  // Dual-stack ports add their IPv6 flows, and the bridge its IPv6 ones (the userspace datapath: with the ND answers).
  const dual = rows.filter((r) => r.ids['nsvswitch-ip6'] !== undefined).length;
  const v6 = IPV6_FLOWS_PER_PORT * dual + (dual > 0 ? IPV6_BASE_FLOWS : 0);
  const want = baseFlows().length + FLOWS_PER_PORT * rows.length + FLOWS_PER_TENANT * tenantsWithPorts + v6;
  if (flows.length !== want) problems.push(`${flows.length} flows on ${BRIDGE} (want ${want} = ${baseFlows().length} + ${FLOWS_PER_PORT}x${rows.length} ports + ${FLOWS_PER_TENANT}x${tenantsWithPorts} tenants + ${v6} IPv6)`);
  if (opts.flowContent !== false) problems.push(...flowContentProblems(flows, rows));
  return { problems, rows, flows: flows.length };
}

/**
 * Flow content, not just the count: the switch holds exactly the pipeline
 * for the recorded ports (their ofports, MACs, addresses, tenants), every
 * action included. A flow that outputs to a port's old number has the right
 * count and the wrong effect.
 */
export function flowContentProblems(dumpLines: readonly string[], rows: readonly Row[]): string[] {
  const expected = pipelineFlows(rows.map((r) => ({
    portName: r.name, ofport: r.ofport, mac: r.ids['nsvswitch-mac'] ?? '', ip: (r.ids['nsvswitch-ip'] ?? '').split('/')[0] ?? '',
    tenantId: Number(r.ids['nsvswitch-tenant-id']), tenant: r.ids['nsvswitch-tenant'] ?? '',
    ...(r.ids['nsvswitch-ip6'] ? { ip6: r.ids['nsvswitch-ip6'].split('/')[0]! } : {}),
  })));
  const d = diffFlows(expected, dumpLines.map(parseFlowLine));
  const show = (f: Flow) => `table=${f.table},priority=${f.priority},${f.match} actions=${f.actions}`;
  return [
    ...d.add.slice(0, 3).map((f) => `flow missing: ${show(f)}`),
    ...d.modify.slice(0, 3).map((f) => `flow with other actions than ${show(f)}`),
    ...d.del.slice(0, 3).map((f) => `flow not in the pipeline: ${show(f)}`),
  ];
}

/** Owned rows and flows as the switch holds them now, compared by content (see flowContentProblems). */
export async function flowsMatchRows(env: AgentEnv): Promise<string[]> {
  return flowContentProblems(await bridgeFlows(env), await env.ownedInterfaces());
}

/**
 * Inside each namespace: exactly lo and the workload interface, carrying
 * exactly the recorded address (and the expected MTU); addresses from
 * before the fault unchanged.
 */
async function insideProblems(env: AgentEnv, opts: InvariantOptions, nsDir: string, rows: readonly Row[]): Promise<{ problems: string[]; compared: number; inspected: number }> {
  const byPath = new Map(rows.map((r) => [r.ids['nsvswitch-netns'] ?? '', r]));
  const jobs = Object.values(opts.expectedByTenant).flatMap((e) => e.names.map((name) => ({ name, e })));
  const problems = (await pool(jobs, 8, async ({ name, e }) => {
    const path = join(nsDir, name);
    const r = byPath.get(path);
    if (!r) return `namespace ${name}: no row`;
    const out = await run('ip', ['-j', 'addr', 'show'], { netns: path });
    const links = JSON.parse(out.stdout || '[]') as { ifname: string; mtu: number; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
    const ifName = e.ifName ?? 'eth0';
    const names = links.map((l) => l.ifname).sort();
    const wantNames = ['lo', ifName].sort();
    const wl = links.find((l) => l.ifname === ifName);
    const addrs = (wl?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    const bad: string[] = [];
    if (JSON.stringify(names) !== JSON.stringify(wantNames)) bad.push(`links ${names.join(',')}`);
    if (JSON.stringify(addrs) !== JSON.stringify([r.ids['nsvswitch-ip']])) bad.push(`${ifName} has ${addrs.join(',') || 'no address'}, port ${r.name} records ${r.ids['nsvswitch-ip']}`);
    // Dual stack: exactly the recorded IPv6 address beside the link-local one (no SLAAC, no second address).
    const addrs6 = (wl?.addr_info ?? []).filter((a) => a.family === 'inet6' && !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`);
    const want6 = r.ids['nsvswitch-ip6'] === undefined ? [] : [r.ids['nsvswitch-ip6']];
    if (JSON.stringify(addrs6) !== JSON.stringify(want6)) bad.push(`${ifName} has IPv6 ${addrs6.join(',') || 'none'}, port ${r.name} records ${want6.join(',') || 'none'}`);
    if (e.mtu !== undefined && wl?.mtu !== e.mtu) bad.push(`mtu ${wl?.mtu} (want ${e.mtu})`);
    return bad.length > 0 ? `namespace ${name}: ${bad.join('; ')}` : '';
  })).filter(Boolean);

  let compared = 0;
  for (const [key, before] of opts.addressesBefore ?? []) {
    const r = byPath.get(key.slice(0, key.lastIndexOf('#')));
    // Only the same incarnation (path and inode) that is still expected: a re-created namespace is a new one.
    if (!r || `${r.ids['nsvswitch-netns']}#${r.ids['nsvswitch-netns-inode']}` !== key) continue;
    compared++;
    if (r.ids['nsvswitch-ip'] !== before.cidr) problems.push(`namespace ${before.name}: address changed from ${before.cidr} to ${r.ids['nsvswitch-ip']}`);
  }
  return { problems, compared, inspected: jobs.length };
}

/** Picks up to `n` items spread evenly over a list (deterministic, first and last included). */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / Math.max(1, n - 1))]!);
}

/**
 * Real traffic on a sample: same-tenant pairs answer pings and carry a TCP
 * stream and UDP datagrams intact; a cross-tenant pair gets no echo, no
 * connection and not one byte, even with on-link /32 routes between the two
 * namespaces, so the switch and not routing decides. Pings and TCP/UDP run
 * side by side (helpers/traffic.ts), so the sample costs about one timeout.
 */
async function isolationProblems(env: AgentEnv, opts: InvariantOptions, nsDir: string, rows: readonly Row[], pairs: number): Promise<{ problems: string[]; same: number; cross: number; traffic: number }> {
  const problems: string[] = [];
  const ipOf = new Map(rows.map((r) => [basename(r.ids['nsvswitch-netns'] ?? ''), (r.ids['nsvswitch-ip'] ?? '').split('/')[0] ?? '']));
  const tenants = Object.entries(opts.expectedByTenant).filter(([, e]) => e.names.length > 0);
  const ping = async (from: string, ip: string, count: number): Promise<number> => {
    const r = await run('ping', ['-n', '-q', '-c', String(count), '-W', '1', '-i', '0.2', ip], { netns: join(nsDir, from), okExitCodes: [1, 2] });
    return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
  };
  // Pairs from each end of every tenant's list, taken round-robin across tenants.
  const perTenant = tenants.map(([, e]) => Array.from({ length: Math.floor(e.names.length / 2) }, (_, i) => [e.names[i]!, e.names[e.names.length - 1 - i]!] as [string, string]));
  const samePairs: [string, string][] = [];
  for (let i = 0; samePairs.length < pairs && perTenant.some((l) => l.length > i); i++) {
    for (const l of perTenant) if (l[i] && samePairs.length < pairs) samePairs.push(l[i]!);
  }
  const cross: [string, string][] = [];
  for (let i = 0; i < tenants.length; i++) {
    for (let j = 0; j < tenants.length; j++) {
      if (i === j) continue;
      const a = tenants[i]![1].names, b = tenants[j]![1].names;
      cross.push([a[(i + j) % a.length]!, b[(i * 7 + j) % b.length]!]);
    }
  }
  const crossPairs = spread(cross, pairs);
  const ifOf = (n: string): string => Object.values(opts.expectedByTenant).find((e) => e.names.includes(n))?.ifName ?? 'eth0';
  // On-link /32 routes both ways (the answer needs a route back too), so only the switch can stop the echo.
  const route = (op: 'replace' | 'del', from: string, to: string) =>
    run('ip', ['route', op, `${ipOf.get(to)!}/32`, 'dev', ifOf(from)], { netns: join(nsDir, from), okExitCodes: op === 'del' ? [2] : [] });
  const routes = [...new Map(crossPairs.flatMap(([a, b]) => [[a, b], [b, a]] as [string, string][]).map((r) => [r.join('\0'), r])).values()];
  const flowPair = ([a, b]: [string, string]) => ({ from: join(nsDir, a), to: join(nsDir, b), ip: ipOf.get(b)!, label: `${a} -> ${b} (${ipOf.get(b)})` });
  try {
    for (const [a, b] of routes) await route('replace', a, b);
    const [samePings, crossPings, flows] = await Promise.all([
      // Three tries: the first echo may wait for a neighbour entry.
      pool(samePairs, 4, ([a, b]) => ping(a, ipOf.get(b)!, 3)),
      pool(crossPairs, 4, ([a, b]) => ping(a, ipOf.get(b)!, 2)),
      trafficMatrix([...samePairs, ...crossPairs].map(flowPair)),
    ]);
    for (const [i, [a, b]] of samePairs.entries()) {
      if (samePings[i] === 0) {
        problems.push(`same tenant: ${a} cannot ping ${b} (${ipOf.get(b)})\n${await pingDiagnosis(env, nsDir, rows, a, b, () => ping(a, ipOf.get(b)!, 3))}`);
      }
      const f = flows[i]!;
      if (trafficProblems([f], () => true).length > 0) problems.push(`same tenant: ${a} cannot send TCP/UDP to ${b}: ${describeTraffic(f)}`);
    }
    for (const [i, [a, b]] of crossPairs.entries()) {
      const got = crossPings[i]!;
      if (got > 0) problems.push(`cross tenant: ${a} reached ${b} (${ipOf.get(b)}) with ${got} replies`);
      const f: TrafficResult = flows[samePairs.length + i]!;
      if (trafficProblems([f], () => false).length > 0) problems.push(`cross tenant: ${a} reached ${b} (${ipOf.get(b)}) with TCP/UDP, or could not tell: ${describeTraffic(f)}`);
    }
  } finally {
    for (const [a, b] of routes) await route('del', a, b);
  }
  return { problems, same: samePairs.length, cross: crossPairs.length, traffic: samePairs.length + crossPairs.length };
}

/**
 * What a failed same-tenant ping looked like, for the failure message: both
 * ports as OVSDB and the kernel see them, the neighbour table, a trace of
 * the echo through the pipeline, and whether a second try gets through.
 */
async function pingDiagnosis(env: AgentEnv, nsDir: string, rows: readonly Row[], a: string, b: string, retry: () => Promise<number>): Promise<string> {
  const rowOf = (n: string) => rows.find((r) => r.ids['nsvswitch-netns'] === join(nsDir, n));
  const lines: string[] = [];
  const safe = async (label: string, f: () => Promise<string>) => {
    lines.push(`    ${label}: ${(await f().catch((e: unknown) => `(failed: ${String(e)})`)).trim().replace(/\n/g, '\n      ')}`);
  };
  for (const n of [a, b]) {
    const r = rowOf(n);
    if (!r) continue;
    await safe(`${n} row`, () => env.sb.vsctl('--columns=name,ofport,ifindex,link_state,admin_state,error,mac_in_use,external_ids', 'list', 'Interface', r.name));
    await safe(`${n} host link`, async () => (await env.sb.inHost('ip', ['-d', 'link', 'show', r.name], undefined)).stdout);
    await safe(`${n} inside`, async () => (await run('ip', ['addr', 'show'], { netns: join(nsDir, n) })).stdout);
  }
  await safe(`${a} neighbours`, async () => (await run('ip', ['neigh', 'show'], { netns: join(nsDir, a) })).stdout);
  const ra = rowOf(a), rb = rowOf(b);
  if (ra && rb) {
    const ipA = (ra.ids['nsvswitch-ip'] ?? '').split('/')[0], ipB = (rb.ids['nsvswitch-ip'] ?? '').split('/')[0];
    await safe('trace', () => env.sb.appctl('ovs-vswitchd', 'ofproto/trace', BRIDGE,
      `icmp,in_port=${ra.ofport},dl_src=${ra.ids['nsvswitch-mac']},dl_dst=${rb.ids['nsvswitch-mac']},nw_src=${ipA},nw_dst=${ipB},nw_ttl=64`));
  }
  await safe('datapath ports', () => env.sb.appctl('ovs-vswitchd', 'dpif/show'));
  await safe('second try', async () => `${await retry()} of 3 replies`);
  await safe('vswitchd log', () => env.sb.logTail('ovs-vswitchd', 20));
  return lines.join('\n');
}

/**
 * The full invariant check every fault test ends with: each expected
 * namespace plugged exactly once and ready, addresses unique and in the
 * subnet, no row without a namespace, no veth without a row (and back), no
 * earlier address changed, the flow count the pipeline promises, and the
 * isolation matrix on a sample with real packets. Waits up to settleMs for
 * the structural part to hold, then throws listing every violation.
 */
export async function checkInvariants(env: AgentEnv, opts: InvariantOptions): Promise<InvariantReport> {
  const nsDir = opts.nsDir ?? env.workloads.dir;
  const t0 = Date.now();
  let last: { problems: string[]; rows: Row[]; flows: number } | undefined;
  try {
    last = await eventually('the agent to converge', async () => {
      last = await structuralProblems(env, opts, nsDir);
      return last.problems.length === 0 && last;
    }, opts.settleMs ?? 60_000, 250);
  } catch {
    throw new Error(`invariants violated after ${opts.settleMs ?? 60_000} ms:\n  ${(last?.problems ?? ['no answer']).slice(0, 40).join('\n  ')}`);
  }
  const settleMs = Date.now() - t0;
  const inside = await insideProblems(env, opts, nsDir, last.rows);
  const iso = await isolationProblems(env, opts, nsDir, last.rows, opts.samplePairs ?? 3);
  // Traffic changes nothing structural: look once more so a late change cannot hide.
  const after = await structuralProblems(env, opts, nsDir);
  const problems = [...inside.problems, ...iso.problems, ...after.problems];
  if (problems.length > 0) throw new Error(`invariants violated:\n  ${problems.slice(0, 40).join('\n  ')}`);
  return {
    ports: last.rows.length,
    tenants: Object.values(opts.expectedByTenant).filter((e) => e.names.length > 0).length,
    namespacesInspected: inside.inspected,
    addressesCompared: inside.compared,
    sameTenantPings: iso.same,
    crossTenantProbes: iso.cross,
    trafficPairs: iso.traffic,
    flows: last.flows,
    settleMs,
  };
}

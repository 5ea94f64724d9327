import { run } from '../../src/exec/run.js';
import { mapLimit } from './concurrency.js';
import type { InterfaceReplica } from './interface-replica.js';

/** What must not change when an agent restarts: kernel links, addresses, OVSDB rows, flows. */
export interface PlumbingSnapshot {
  /** Host-side link name → ifindex (a re-created veth gets a new ifindex). */
  readonly hostLinks: ReadonlyMap<string, number>;
  /** Namespace path → its workload interface (ifindex, MAC, IPv4 addresses), or null when missing. */
  readonly inside: ReadonlyMap<string, { ifindex: number; mac: string; ipv4: string[] } | null>;
  /** Interface row uuid → "name ofport external_ids" (sorted keys): any OVSDB change shows. */
  readonly rows: ReadonlyMap<string, string>;
  /** Flows without their counters, sorted; and each flow's age in seconds. */
  readonly flows: readonly string[];
  readonly flowAgesS: readonly number[];
}

interface IpLink {
  readonly ifindex?: number;
  readonly ifname?: string;
  readonly address?: string;
  readonly addr_info?: readonly { family?: string; local?: string; prefixlen?: number }[];
}

/** `ip -j link` in a namespace: name → ifindex of links whose name starts with `prefix`. */
export async function linkIndexes(netns: string, prefix: string): Promise<Map<string, number>> {
  const list = JSON.parse((await run('ip', ['-j', 'link', 'show'], { netns })).stdout) as IpLink[];
  const out = new Map<string, number>();
  for (const l of list) if (l.ifname?.startsWith(prefix) && l.ifindex !== undefined) out.set(l.ifname, l.ifindex);
  return out;
}

async function insideState(nsPath: string, ifName: string): Promise<{ ifindex: number; mac: string; ipv4: string[] } | null> {
  const r = await run('ip', ['-j', 'addr', 'show', 'dev', ifName], { netns: nsPath, okExitCodes: [1] });
  if (r.exitCode !== 0) return null;
  const l = (JSON.parse(r.stdout) as IpLink[])[0];
  if (!l || l.ifindex === undefined) return null;
  const ipv4 = (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`).sort();
  return { ifindex: l.ifindex, mac: l.address ?? '', ipv4 };
}

/** Flow text without the fields that change by themselves (counters, ages), for comparing flow sets. */
export function normalizeFlow(line: string): { flow: string; ageS: number } | undefined {
  const t = line.trim();
  if (!t.includes('actions=') || t.startsWith('OFPST') || t.startsWith('NXST')) return undefined;
  const age = /duration=([\d.]+)s/.exec(t);
  const flow = t.replace(/\b(duration|n_packets|n_bytes|idle_age|hard_age|packet_count|byte_count|importance)=[^,\s]*,?\s*/g, '').trim();
  return { flow, ageS: age?.[1] !== undefined ? Number(age[1]) : Number.NaN };
}

/**
 * Everything a restart could disturb, read from outside the agent: one `ip`
 * in the host namespace, one `ip` per namespace (bounded parallel), the
 * monitor's Interface rows and one flow dump.
 */
export async function plumbingSnapshot(o: {
  hostNetns: string;
  hostPrefix: string;
  nsPaths: readonly string[];
  ifName: string;
  replica: InterfaceReplica;
  bridge: string;
  env: Readonly<Record<string, string>>;
  concurrency?: number;
}): Promise<PlumbingSnapshot> {
  const hostLinks = await linkIndexes(o.hostNetns, o.hostPrefix);
  const states = await mapLimit(o.nsPaths, o.concurrency ?? 4, (p) => insideState(p, o.ifName));
  const inside = new Map(o.nsPaths.map((p, i) => [p, states[i] ?? null]));
  const rows = new Map<string, string>();
  for (const r of o.replica.values()) {
    const ids = Object.keys(r.externalIds).sort().map((k) => `${k}=${r.externalIds[k]}`).join(',');
    rows.set(r.uuid, `${r.name} ${r.ofport ?? '-'} ${ids}`);
  }
  const dump = (await run('ovs-ofctl', ['-O', 'OpenFlow15', 'dump-flows', o.bridge], { env: o.env })).stdout;
  const parsed = dump.split('\n').map(normalizeFlow).filter((f): f is { flow: string; ageS: number } => f !== undefined);
  return { hostLinks, inside, rows, flows: parsed.map((f) => f.flow).sort(), flowAgesS: parsed.map((f) => f.ageS) };
}

/** What differs between two snapshots, counted per kind (0 everywhere = nothing disturbed). */
export interface SnapshotDiff {
  readonly hostLinksRecreated: number;
  readonly hostLinksMissing: number;
  readonly hostLinksAdded: number;
  readonly insideRecreated: number;
  readonly insideMissing: number;
  readonly addressesChanged: number;
  readonly macsChanged: number;
  readonly rowsChanged: number;
  readonly rowsAdded: number;
  readonly rowsRemoved: number;
  readonly flowsAdded: number;
  readonly flowsRemoved: number;
  /** A few examples, naming what changed. */
  readonly examples: readonly string[];
}

export function diffSnapshots(a: PlumbingSnapshot, b: PlumbingSnapshot): SnapshotDiff {
  const ex: string[] = [];
  const note = (s: string): void => {
    if (ex.length < 10) ex.push(s);
  };
  const c = { hostLinksRecreated: 0, hostLinksMissing: 0, insideRecreated: 0, insideMissing: 0, addressesChanged: 0, macsChanged: 0, rowsChanged: 0, rowsRemoved: 0 };
  const count = (k: keyof typeof c, what: string): void => {
    c[k]++;
    note(what);
  };
  for (const [name, idx] of a.hostLinks) {
    const now = b.hostLinks.get(name);
    if (now === undefined) count('hostLinksMissing', `host link ${name} gone`);
    else if (now !== idx) count('hostLinksRecreated', `host link ${name}: ifindex ${idx} -> ${now}`);
  }
  const hostLinksAdded = [...b.hostLinks.keys()].filter((k) => !a.hostLinks.has(k)).length;
  for (const [p, s] of a.inside) {
    const t = b.inside.get(p) ?? null;
    if (s === null) continue;
    if (t === null) {
      count('insideMissing', `namespace ${p}: interface gone`);
      continue;
    }
    if (t.ifindex !== s.ifindex) count('insideRecreated', `namespace ${p}: ifindex ${s.ifindex} -> ${t.ifindex}`);
    if (t.ipv4.join() !== s.ipv4.join()) count('addressesChanged', `namespace ${p}: ${s.ipv4.join()} -> ${t.ipv4.join()}`);
    if (t.mac !== s.mac) count('macsChanged', `namespace ${p}: MAC ${s.mac} -> ${t.mac}`);
  }
  for (const [u, r] of a.rows) {
    const now = b.rows.get(u);
    if (now === undefined) count('rowsRemoved', `Interface row ${u} removed`);
    else if (now !== r) count('rowsChanged', `Interface row ${u}: ${r} -> ${now}`);
  }
  const rowsAdded = [...b.rows.keys()].filter((k) => !a.rows.has(k)).length;
  const fa = new Set(a.flows);
  const fb = new Set(b.flows);
  const flowsAdded = [...fb].filter((f) => !fa.has(f)).length;
  const flowsRemoved = [...fa].filter((f) => !fb.has(f)).length;
  if (flowsAdded + flowsRemoved > 0) note(`flows: +${flowsAdded} -${flowsRemoved}`);
  return { ...c, hostLinksAdded, rowsAdded, flowsAdded, flowsRemoved, examples: ex };
}

import type { VswitchSnapshot } from '../../../src/ovsdb/index.js';
import type { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { oracleDump } from './dump-oracle.js';

/** Bridges → ports → interfaces with their external_ids, as a comparable plain object. */
export interface TopologyView {
  root: { bridges: string[]; external_ids: Record<string, string> };
  bridges: Record<string, { ports: string[]; fail_mode: string | undefined; external_ids: Record<string, string> }>;
  ports: Record<string, { interfaces: string[]; external_ids: Record<string, string> }>;
  interfaces: Record<string, { type: string; external_ids: Record<string, string> }>;
}

/** What our replica believes. */
export function replicaView(s: VswitchSnapshot): TopologyView {
  const name = (m: ReadonlyMap<string, { name: string }>, id: string): string => m.get(id)?.name ?? `dangling:${id}`;
  return {
    root: { bridges: (s.openVSwitch?.bridges ?? []).map((id) => name(s.bridges, id)).sort(), external_ids: { ...s.openVSwitch?.external_ids } },
    bridges: Object.fromEntries([...s.bridges.values()].map((b) => [b.name, { ports: b.ports.map((id) => name(s.ports, id)).sort(), fail_mode: b.fail_mode, external_ids: { ...b.external_ids } }])),
    ports: Object.fromEntries([...s.ports.values()].map((p) => [p.name, { interfaces: p.interfaces.map((id) => name(s.interfaces, id)).sort(), external_ids: { ...p.external_ids } }])),
    interfaces: Object.fromEntries([...s.interfaces.values()].map((i) => [i.name, { type: i.type, external_ids: { ...i.external_ids } }])),
  };
}

type W = unknown;
// ovsdb-client's JSON: a set is ["set", [...]] or, with one element, the bare atom; a map is ["map", pairs].
const setOf = (v: W): W[] => (Array.isArray(v) && v[0] === 'set' ? (v[1] as W[]) : [v]);
const mapOf = (v: W): Record<string, string> => Object.fromEntries((v as ['map', [string, string][]])[1]);
const label = (v: W): string => ((v as ['ref', string])[1]).replace(/^[A-Za-z_]+:/, '');

/** What the real tool (ovsdb-client dump) shows, in the same shape. */
export async function oracleView(sb: OvsSandbox): Promise<TopologyView> {
  const d = await oracleDump(sb);
  const root = Object.values(d.Open_vSwitch!)[0]!;
  const strip = (k: string): string => k.replace(/^[A-Za-z_]+:/, '');
  return {
    root: { bridges: setOf(root.bridges).map(label).sort(), external_ids: mapOf(root.external_ids) },
    bridges: Object.fromEntries(Object.entries(d.Bridge!).map(([k, b]) => {
      const fm = setOf(b.fail_mode);
      return [strip(k), { ports: setOf(b.ports).map(label).sort(), fail_mode: fm[0] as string | undefined, external_ids: mapOf(b.external_ids) }];
    })),
    ports: Object.fromEntries(Object.entries(d.Port!).map(([k, p]) => [strip(k), { interfaces: setOf(p.interfaces).map(label).sort(), external_ids: mapOf(p.external_ids) }])),
    interfaces: Object.fromEntries(Object.entries(d.Interface!).map(([k, i]) => [strip(k), { type: i.type as string, external_ids: mapOf(i.external_ids) }])),
  };
}

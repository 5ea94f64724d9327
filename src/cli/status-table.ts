import type { StatusReport } from '../observe/status-types.js';

// C0/C1 controls and bidi overrides: a hostile namespace name must not move the cursor or reorder a terminal line.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Escapes what a terminal would interpret, so untrusted names print as visible text. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Left-aligned columns, two spaces apart, no trailing blanks. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((r) => headers.map((_, i) => printable(r[i] ?? '')));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length))).join('  ').trimEnd())
    .join('\n');
}

function section(title: string, headers: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  return `${title}\n${rows.length === 0 ? `  (${empty})` : renderTable(headers, rows)}\n`;
}

/** The /status document as tables for people: summary, tenants, namespaces, errors, manifest problems. */
export function formatStatus(r: StatusReport): string {
  const summary = `nsvswitch ${printable(r.version)} on bridge ${printable(r.bridge)}: ${r.ready ? 'ready' : 'NOT READY (initial sync not done)'}, OVSDB ${r.ovsdbConnected ? 'connected' : 'DISCONNECTED'}`;
  const counts = new Map<string, number>();
  for (const n of r.namespaces) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
  const countLine = `${r.namespaces.length} namespaces${[...counts].map(([s, c]) => `, ${c} ${s}`).join('')}; ${r.tenants.length} tenants; ${r.errors.length} errors; ${r.problems.length} manifest problems`;
  // IPv6 columns only when some tenant or port has IPv6: an IPv4-only host's tables stay as they were.
  const v6Tenants = r.tenants.some((t) => t.subnet6 !== undefined);
  const v6Ports = r.namespaces.some((n) => n.ip6 !== undefined);
  const parts = [
    `${summary}\n${countLine}\n`,
    section('TENANTS', ['TENANT', 'ID', 'SUBNET', ...(v6Tenants ? ['SUBNET6'] : []), 'PORTS', 'READY'],
      r.tenants.map((t) => [t.name, String(t.id), t.subnet ?? '-', ...(v6Tenants ? [t.subnet6 ?? '-'] : []), String(t.ports), String(t.ready)]), 'no tenants'),
    section('NAMESPACES', ['NAMESPACE', 'WORKLOAD', 'TENANT', 'STATE', 'IP', ...(v6Ports ? ['IP6'] : []), 'MAC', 'PORT', 'OFPORT'],
      r.namespaces.map((n) => [
        n.path, n.workload ? `${n.workload.runtime}:${n.workload.name} (${n.workload.id.slice(0, 12)})` : '-', n.tenant ?? '-', n.state,
        n.ip ?? '-', ...(v6Ports ? [n.ip6 ?? '-'] : []), n.mac ?? '-', n.port ?? '-', n.ofport === undefined ? '-' : String(n.ofport),
      ]), 'no namespaces'),
  ];
  if (r.runtimes && r.runtimes.length > 0) {
    parts.push(section('RUNTIMES', ['RUNTIME', 'STATE', 'WORKLOADS', 'SINCE', 'ERROR'],
      r.runtimes.map((rt) => [rt.runtime, rt.connected ? 'connected' : rt.synced ? 'DISCONNECTED (metadata stale)' : 'DISCONNECTED (metadata unknown)', String(rt.workloads), rt.since, rt.error ?? '-']), 'none'));
  }
  if (r.ovn) {
    const o = r.ovn;
    const yesNo = (b: boolean | undefined): string => (b === undefined ? '-' : b ? 'yes' : 'no');
    parts.push(`OVN chassis ${printable(o.chassis)}: northbound ${o.nb.connected ? `connected (${printable(o.nb.remote ?? '?')})` : 'DISCONNECTED'}, southbound ${o.sb.connected ? `connected (${printable(o.sb.remote ?? '?')})` : 'DISCONNECTED'}, chassis ${o.sb.chassisRegistered ? `registered (${o.sb.encaps.map(printable).join(', ') || 'no encap'})` : 'NOT REGISTERED'}\n`);
    parts.push(section('OVN PORTS', ['NAMESPACE', 'TENANT', 'LOGICAL PORT', 'INSTALLED', 'BOUND', 'UP'],
      o.ports.map((p) => [p.namespace, p.tenant, p.lsp, yesNo(p.installed), yesNo(p.bound), yesNo(p.up)]), 'no logical ports'));
  }
  const waiting = r.namespaces.filter((n) => n.note !== undefined);
  if (waiting.length > 0) {
    parts.push(section('WAITING / KEPT', ['NAMESPACE', 'WHY'], waiting.map((n) => [n.path, n.note ?? '']), 'none'));
  }
  if (r.errors.length > 0) {
    parts.push(section('ERRORS', ['NAMESPACE', 'SINCE', 'REASON'], r.errors.map((e) => [e.namespace, e.since, e.reason]), 'none'));
  }
  if (r.problems.length > 0) {
    parts.push(section('MANIFEST PROBLEMS', ['FILE:LINE', 'TENANT', 'PROBLEM'], r.problems.map((p) => [`${p.file}:${p.line}`, p.tenant ?? '-', p.message]), 'none'));
  }
  return parts.join('\n');
}

// Per-file validation of tenant manifests: YAML syntax, schema and the rules inside one tenant and one
// file, each problem with the line of the offending field (from yaml's LineCounter). Linear in the size
// of the file: documents are read one at a time under budgets (limits.ts), aliases are resolved from one
// walk per document, and the rules between tenants use an index, not pairwise comparisons.
import picomatch from 'picomatch';
import { LineCounter, isAlias, isMap, isScalar, isSeq, type Alias, type Document, type Node, type YAMLMap } from 'yaml';
import { didYouMean } from '../config/did-you-mean.js';
import { describeValue } from '../config/describe-value.js';
import { MTU_MAX, MTU_MIN, TENANT_ID_MAX, TENANT_ID_MIN, formatIpv4, networkOf, parseCidr, parseIpv4, rangeOf, workloadIfNameFault } from '../net/index.js';
import type { ManifestProblem, Tenant } from './types.js';
import type { ParsedFile, ParsedTenant } from './parsed-tenant.js';
import { TenantIndex } from './tenant-conflicts.js';
import { GLOB_OPTIONS } from './match-namespace.js';
import { patternFault } from './pattern-rules.js';
import { MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE, formatBytes } from './limits.js';
import { readYamlDocuments } from './yaml-stream.js';
import { parseEgress } from './parse-egress.js';
import { parseWorkloads } from './parse-workloads.js';
import { workloadNameMayMatch } from './workload-selector.js';
import {
  API_VERSION, DEFAULT_INTERFACE, DEFAULT_SECONDARY_INTERFACE, RUNTIME_IFNAME, DNS_LABEL, INTERFACE_FIELDS, KIND, METADATA_FIELDS, NAME_MAX,
  SPEC_FIELDS, TOP_FIELDS,
} from './fields.js';

type Doc = Document.Parsed;

/** Collects problems of one file and turns yaml node offsets into 1-based lines. */
class Ctx {
  readonly problems: ManifestProblem[] = [];
  tenant: string | undefined;

  constructor(
    readonly file: string,
    readonly lc: LineCounter,
    readonly doc: Doc,
    private readonly aliases: ReadonlyMap<Alias, Node | undefined>,
  ) {}

  line(node: Node | null | undefined, fallback: number): number {
    const start = node?.range?.[0];
    return start === undefined ? fallback : this.lc.linePos(start).line;
  }

  report(line: number, message: string): void {
    this.problems.push({ file: this.file, line, message, ...(this.tenant === undefined ? {} : { tenant: this.tenant }) });
  }

  resolve(node: unknown): Node | null {
    // Resolved once per document by readYamlDocuments (yaml's Alias.resolve walks the document each time).
    if (isAlias(node)) return this.aliases.get(node) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  js(node: Node | null): unknown {
    if (node === null) return null;
    // A scalar's value as is (toJS builds a conversion context per call: most of the garbage of a big file).
    if (isScalar(node) && (typeof node.value !== 'object' || node.value === null)) return node.value;
    return node.toJS(this.doc);
  }
}

/** A mapping's fields by name, with key lines; unknown and non-string keys reported with a suggestion. */
interface Fields {
  readonly values: Map<string, { node: Node | null; line: number; keyLine: number }>;
}

function fieldsOf(ctx: Ctx, map: YAMLMap, where: string, known: readonly string[], mapLine: number): Fields {
  const values = new Map<string, { node: Node | null; line: number; keyLine: number }>();
  for (const pair of map.items) {
    const keyNode = ctx.resolve(pair.key);
    const line = ctx.line(keyNode, mapLine);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key !== 'string' || !known.includes(key)) {
      const shown = typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean' ? String(key) : '?';
      const near = didYouMean(shown, known);
      const inWhere = where === '' ? '' : ` in ${where}`;
      ctx.report(line, `unknown field "${shown}"${inWhere}; ${near === undefined ? `known fields: ${known.join(', ')}` : `did you mean "${near}"?`}`);
      continue;
    }
    const valueNode = ctx.resolve(pair.value);
    values.set(key, { node: valueNode, line: valueNode === null ? line : ctx.line(valueNode, line), keyLine: line });
  }
  return { values };
}

/** Field value if present and not null; `line` is the value's line, `keyLine` the field name's. */
function get(f: Fields, name: string): { node: Node; line: number; keyLine: number } | undefined {
  const v = f.values.get(name);
  if (!v || v.node === null || (isScalar(v.node) && v.node.value === null)) return undefined;
  return { node: v.node, line: v.line, keyLine: v.keyLine };
}

function quoteHint(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' ? ` (quote it to make it a string: "${String(v)}")` : '';
}

function stringValue(ctx: Ctx, node: Node, line: number, path: string): string | undefined {
  const v = ctx.js(node);
  if (typeof v === 'string') return v;
  ctx.report(line, `${path} must be a string, got ${describeValue(v)}${quoteHint(v)}`);
  return undefined;
}

function intInRange(ctx: Ctx, node: Node, line: number, path: string, min: number, max: number): number | undefined {
  const v = ctx.js(node);
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  ctx.report(line, `${path} must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
  return undefined;
}

function ipv4Value(ctx: Ctx, node: Node, line: number, path: string): string | undefined {
  const v = ctx.js(node);
  if (typeof v === 'string' && parseIpv4(v) !== undefined) return v;
  ctx.report(line, `${path} must be an IPv4 address like 10.10.0.1, got ${describeValue(v)}`);
  return undefined;
}

/** Why an address may not be given to a namespace or be the gateway, or undefined if it is fine. */
function addressFault(ip: string, subnet: string): string | undefined {
  const c = parseCidr(subnet);
  const a = parseIpv4(ip);
  if (!c || a === undefined) return undefined;
  const [first, last] = rangeOf(c);
  if (a < first || a > last) return `is outside subnet ${subnet}`;
  if (a === first) return `is the network address of subnet ${subnet}`;
  if (a === last) return `is the broadcast address of subnet ${subnet}`;
  return undefined;
}

function mappingOrReport(ctx: Ctx, node: Node, line: number, path: string, shape: string): YAMLMap | undefined {
  if (isMap(node)) return node;
  ctx.report(line, `${path} must be a mapping ${shape}, got ${describeValue(ctx.js(node))}`);
  return undefined;
}

/** Validates one YAML document as a Tenant; undefined (with problems reported) if it is not a valid one. */
function parseTenantDoc(ctx: Ctx, root: Node, docLine: number): ParsedTenant | undefined {
  const before = ctx.problems.length;
  if (!isMap(root)) {
    ctx.report(docLine, `a manifest document must be a mapping with apiVersion, kind, metadata and spec, got ${describeValue(ctx.js(root))}`);
    return undefined;
  }
  const top = fieldsOf(ctx, root, '', TOP_FIELDS, docLine);

  const apiVersion = get(top, 'apiVersion');
  if (!apiVersion) ctx.report(docLine, `apiVersion is missing (expected "${API_VERSION}")`);
  else if (ctx.js(apiVersion.node) !== API_VERSION) ctx.report(apiVersion.line, `apiVersion must be "${API_VERSION}", got ${describeValue(ctx.js(apiVersion.node))}`);
  const kind = get(top, 'kind');
  if (!kind) ctx.report(docLine, `kind is missing (expected "${KIND}")`);
  else if (ctx.js(kind.node) !== KIND) ctx.report(kind.line, `kind must be "${KIND}", got ${describeValue(ctx.js(kind.node))}`);

  let name: string | undefined;
  let nameLine = docLine;
  const metadata = get(top, 'metadata');
  if (!metadata) ctx.report(docLine, 'metadata is missing (metadata.name names the tenant)');
  else {
    const m = mappingOrReport(ctx, metadata.node, metadata.line, 'metadata', 'with a name');
    if (m) {
      const mf = fieldsOf(ctx, m, 'metadata', METADATA_FIELDS, metadata.line);
      const n = get(mf, 'name');
      if (!n) ctx.report(metadata.keyLine, 'metadata.name is missing');
      else {
        nameLine = n.line;
        const s = stringValue(ctx, n.node, n.line, 'metadata.name');
        if (s !== undefined && (!DNS_LABEL.test(s) || s.length > NAME_MAX)) {
          ctx.report(n.line, `metadata.name ${JSON.stringify(s)} must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most ${NAME_MAX} characters`);
        } else if (s !== undefined) name = s;
      }
      for (const field of ['labels', 'annotations']) {
        const v = get(mf, field);
        if (!v) continue;
        const lm = mappingOrReport(ctx, v.node, v.line, `metadata.${field}`, 'of strings');
        if (!lm) continue;
        for (const pair of lm.items) {
          const val = ctx.resolve(pair.value);
          const js = ctx.js(val);
          if (typeof js !== 'string') ctx.report(ctx.line(val, v.line), `metadata.${field} values must be strings, got ${describeValue(js)}${quoteHint(js)}`);
        }
      }
    }
  }
  ctx.tenant = name;

  const specField = get(top, 'spec');
  if (!specField) {
    ctx.report(docLine, 'spec is missing (id, subnet and namespaces are required)');
    return undefined;
  }
  const spec = mappingOrReport(ctx, specField.node, specField.line, 'spec', 'with id, subnet and namespaces');
  if (!spec) return undefined;
  const specLine = specField.keyLine;
  const sf = fieldsOf(ctx, spec, 'spec', SPEC_FIELDS, specLine);

  const idF = get(sf, 'id');
  let id: number | undefined;
  if (!idF) ctx.report(specLine, `spec.id is missing (an integer from ${TENANT_ID_MIN} to ${TENANT_ID_MAX}, unique per host)`);
  else id = intInRange(ctx, idF.node, idF.line, 'spec.id', TENANT_ID_MIN, TENANT_ID_MAX);

  const subnetF = get(sf, 'subnet');
  let subnet: string | undefined;
  if (!subnetF) ctx.report(specLine, 'spec.subnet is missing (an IPv4 CIDR like 10.10.0.0/24)');
  else {
    const v = ctx.js(subnetF.node);
    const c = typeof v === 'string' ? parseCidr(v) : undefined;
    if (typeof v !== 'string' || !c) ctx.report(subnetF.line, `spec.subnet must be an IPv4 CIDR like 10.10.0.0/24, got ${describeValue(v)}`);
    else if (networkOf(c) !== c.address) ctx.report(subnetF.line, `spec.subnet ${v} has host bits set; the network is ${formatIpv4(networkOf(c))}/${c.prefixLen}`);
    else if (c.prefixLen > 30) ctx.report(subnetF.line, `spec.subnet ${v} is too small: it leaves no address for a namespace (network, broadcast and gateway are never assigned); use /30 or larger`);
    else subnet = v;
  }

  const gwF = get(sf, 'gateway');
  let gateway: string | undefined;
  if (gwF) {
    const g = ipv4Value(ctx, gwF.node, gwF.line, 'spec.gateway');
    const fault = g !== undefined && subnet !== undefined ? addressFault(g, subnet) : undefined;
    if (fault !== undefined) ctx.report(gwF.line, `spec.gateway ${g} ${fault}`);
    else gateway = g;
  }

  // spec.workloads: selectors on containers (parse-workloads.ts); a tenant needs it or spec.namespaces.
  const wlF = get(sf, 'workloads');
  const wl = parseWorkloads(wlF ? ctx.js(wlF.node) : undefined);
  const wlItemLine = (i: number): number => {
    const item = wlF && isSeq(wlF.node) ? ctx.resolve(wlF.node.items[i]) : null;
    return ctx.line(item, wlF?.line ?? specLine);
  };
  for (const p of wl.problems) ctx.report(p.index < 0 ? (wlF?.line ?? specLine) : wlItemLine(p.index), p.message);
  const namespaces: string[] = [];
  const nsLines: number[] = [];
  const nsF = get(sf, 'namespaces');
  if (!nsF) {
    if (!wlF) ctx.report(specLine, 'spec.namespaces is missing (a list of globs on namespace names, e.g. ["blue-*"]; or select containers with spec.workloads)');
  } else if (!isSeq(nsF.node)) ctx.report(nsF.line, `spec.namespaces must be a list of globs on namespace names, got ${describeValue(ctx.js(nsF.node))}`);
  else if (nsF.node.items.length === 0) ctx.report(nsF.line, 'spec.namespaces must not be empty (a tenant without namespace patterns attaches nothing)');
  else {
    nsF.node.items.forEach((item, i) => {
      const node = ctx.resolve(item);
      const line = ctx.line(node, nsF.line);
      const path = `spec.namespaces[${i}]`;
      const p = node === null ? undefined : stringValue(ctx, node, line, path);
      if (node === null) ctx.report(line, `${path} must be a string, got nothing (null)`);
      if (p === undefined) return;
      if (p.trim() === '') {
        ctx.report(line, `${path} must not be empty`);
        return;
      }
      if (p.includes('/') && !p.startsWith('/')) {
        ctx.report(line, `${path} ${JSON.stringify(p)} contains "/" but is not an absolute path: use a glob on the name ("blue-*") or on the full path ("/run/netns/blue-*")`);
        return;
      }
      const fault = patternFault(p);
      if (fault !== undefined) ctx.report(line, `${path} ${JSON.stringify(p)} ${fault}`);
      else {
        namespaces.push(p);
        nsLines.push(line);
      }
    });
  }

  let ifName: string = DEFAULT_INTERFACE.name;
  let mtu: number = DEFAULT_INTERFACE.mtu;
  let secondaryName: string | undefined;
  const ifF = get(sf, 'interface');
  if (ifF) {
    const im = mappingOrReport(ctx, ifF.node, ifF.line, 'spec.interface', 'with name and mtu');
    if (im) {
      const inf = fieldsOf(ctx, im, 'spec.interface', INTERFACE_FIELDS, ifF.line);
      const n = get(inf, 'name');
      if (n) {
        const s = stringValue(ctx, n.node, n.line, 'spec.interface.name');
        const fault = s === undefined ? undefined : workloadIfNameFault(s);
        if (fault !== undefined) ctx.report(n.line, `spec.interface.name ${JSON.stringify(s)} ${fault}`);
        else if (s !== undefined) ifName = s;
      }
      const m = get(inf, 'mtu');
      if (m) mtu = intInRange(ctx, m.node, m.line, 'spec.interface.mtu', MTU_MIN, MTU_MAX) ?? mtu;
      const sn = get(inf, 'secondaryName');
      if (sn) {
        const s = stringValue(ctx, sn.node, sn.line, 'spec.interface.secondaryName');
        const fault = s === undefined ? undefined : workloadIfNameFault(s);
        if (fault !== undefined) ctx.report(sn.line, `spec.interface.secondaryName ${JSON.stringify(s)} ${fault}`);
        else if (s !== undefined && RUNTIME_IFNAME.test(s)) ctx.report(sn.line, `spec.interface.secondaryName ${JSON.stringify(s)} is a name Docker gives its own interfaces (eth0, eth1... one per network): it would collide; use e.g. "${DEFAULT_SECONDARY_INTERFACE}"`);
        else if (s !== undefined) secondaryName = s;
      }
    }
  }

  // Maps, then own properties: a key such as "__proto__" or "constructor" is a name like any other.
  const staticAddresses = new Map<string, string>();
  const staticLines = new Map<string, number>();
  const saF = get(sf, 'staticAddresses');
  if (saF) {
    const sm = mappingOrReport(ctx, saF.node, saF.line, 'spec.staticAddresses', 'of namespace name to IPv4 address');
    const owner = new Map<string, string>();
    let matchers: ((s: string) => boolean)[] | undefined;
    const matchesAny = (key: string): boolean => (matchers ??= namespaces.map((p) => picomatch(p.slice(p.lastIndexOf('/') + 1), GLOB_OPTIONS))).some((m) => m(key));
    for (const pair of sm?.items ?? []) {
      const keyNode = ctx.resolve(pair.key);
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const keyLine = ctx.line(keyNode, saF.line);
      // A namespace file name, a container name, or a pod as "namespace/pod" (one "/", a Kubernetes namespace name before it).
      const podKey = key !== undefined && /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[^/]+$/.test(key);
      if (key === undefined || key === '' || (key.includes('/') && !podKey) || key === '.' || key === '..') {
        ctx.report(keyLine, `spec.staticAddresses key ${key === undefined ? '?' : JSON.stringify(key)} must be a namespace name (a file name, without "/"), a container name, or a pod as "namespace/pod"`);
        continue;
      }
      const valueNode = ctx.resolve(pair.value);
      const line = ctx.line(valueNode, keyLine);
      const ip = valueNode === null ? undefined : ipv4Value(ctx, valueNode, line, `spec.staticAddresses.${key}`);
      if (valueNode === null) ctx.report(line, `spec.staticAddresses.${key} must be an IPv4 address like 10.10.0.1, got nothing (null)`);
      if (ip === undefined) continue;
      const fault = subnet === undefined ? undefined : addressFault(ip, subnet);
      const first = owner.get(ip);
      if (fault !== undefined) ctx.report(line, `static address ${ip} of namespace "${key}" ${fault}`);
      else if (ip === gateway) ctx.report(line, `static address ${ip} of namespace "${key}" is the gateway address`);
      else if (first !== undefined) ctx.report(line, `static address ${ip} of namespace "${key}" is also the static address of namespace "${first}"`);
      else if ((namespaces.length > 0 || wl.selectors.length > 0) && !matchesAny(key) && !workloadNameMayMatch(wl.selectors, key)) {
        ctx.report(keyLine, `static address of namespace "${key}" is never used: "${key}" matches none of spec.namespaces${wl.selectors.length > 0 ? ' nor the names of spec.workloads' : ''}`);
      } else {
        owner.set(ip, key);
        staticAddresses.set(key, ip);
        staticLines.set(key, keyLine);
      }
    }
  }

  // spec.egress: the gateway's policy (parse-egress.ts); absent = DEFAULT_EGRESS (snat, nothing else allowed).
  const egressF = get(sf, 'egress');
  const egressParsed = parseEgress(egressF ? ctx.js(egressF.node) : undefined, name, gateway !== undefined || gwF !== undefined);
  for (const p of egressParsed.problems) ctx.report(egressF?.line ?? specLine, p.message);
  const egress = gateway === undefined ? undefined : egressParsed.egress;

  if (ctx.problems.length > before || name === undefined || id === undefined || subnet === undefined) return undefined;
  const tenant: Tenant = {
    name,
    id,
    subnet,
    ...(gateway === undefined ? {} : { gateway }),
    namespaces,
    ...(wl.selectors.length > 0 ? { workloads: wl.selectors } : {}),
    interface: { name: ifName, mtu, ...(secondaryName === undefined ? {} : { secondaryName }) },
    staticAddresses: ownRecord(staticAddresses),
    ...(egress === undefined ? {} : { egress }),
    source: { file: ctx.file, line: docLine },
  };
  return {
    tenant,
    lines: {
      doc: docLine,
      name: nameLine,
      id: idF?.line ?? docLine,
      subnet: subnetF?.line ?? docLine,
      ...(gwF ? { gateway: gwF.line } : {}),
      namespaces: nsLines,
      ...(wlF ? { workloads: wl.selectors.map((_, i) => wlItemLine(i)) } : {}),
      staticAddresses: ownRecord(staticLines),
    },
  };
}

/**
 * A record without a prototype: every key, "__proto__" and "constructor" included, is an own property, and
 * a lookup of a name that is not a key ("toString") finds nothing.
 */
function ownRecord<V>(m: ReadonlyMap<string, V>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [k, v] of m) Object.defineProperty(out, k, { value: v, enumerable: true, writable: false, configurable: false });
  return out;
}

/** The first line of a yaml error message, without its "at line N, column M" tail (the line is reported apart). */
function yamlReason(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Keeps the first MAX_PROBLEMS_PER_FILE problems (by line) and says how many more there were. */
function capProblems(file: string, problems: ManifestProblem[]): ManifestProblem[] {
  problems.sort((a, b) => a.line - b.line);
  if (problems.length <= MAX_PROBLEMS_PER_FILE) return problems;
  const more = problems.length - MAX_PROBLEMS_PER_FILE;
  const last = problems[MAX_PROBLEMS_PER_FILE - 1]?.line ?? 0;
  return [...problems.slice(0, MAX_PROBLEMS_PER_FILE), { file, line: last, message: `${more} more problem${more === 1 ? '' : 's'} in this file not shown` }];
}

/** Validates one file's text: several YAML documents, each a Tenant; rules within the file included. */
export function parseManifestFile(file: string, text: string): ParsedFile {
  const problems: ManifestProblem[] = [];
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILE_BYTES) {
    return { file, tenants: [], problems: [{ file, line: 0, message: `file is ${formatBytes(bytes)}, more than the limit of ${formatBytes(MAX_FILE_BYTES)} per manifest file: split it` }] };
  }
  const lc = new LineCounter();
  const read = readYamlDocuments(text, lc);
  const lineAt = (offset: number): number => lc.linePos(offset).line;
  const index = new TenantIndex();
  for (const { doc, aliases, issues } of read.docs) {
    if (issues.length > 0) {
      for (const i of issues) problems.push({ file, line: lineAt(i.offset), message: `invalid YAML: ${yamlReason(i.message)}` });
      continue;
    }
    const ctx = new Ctx(file, lc, doc, aliases);
    const root = ctx.resolve(doc.contents);
    if (root === null || (isScalar(root) && root.value === null)) continue;
    const docLine = ctx.line(root, 1);
    let parsed: ParsedTenant | undefined;
    try {
      parsed = parseTenantDoc(ctx, root, docLine);
    } catch (e) {
      // yaml refuses to expand alias bombs (ReferenceError: excessive alias count) while converting values.
      ctx.report(docLine, `invalid YAML: ${e instanceof Error ? e.message : String(e)}`);
      parsed = undefined;
    }
    problems.push(...ctx.problems);
    if (parsed) problems.push(...index.tryAddFile(file, [parsed]));
  }
  if (read.overBudget) problems.push({ file, line: lineAt(read.overBudget.offset), message: read.overBudget.message });
  return { file, tenants: index.tenantsOf(file), problems: capProblems(file, problems) };
}

/** Per-file checks of one manifest file's text (no cross-file rules): valid tenants and every problem. */
export function parseManifestText(file: string, text: string): { tenants: Tenant[]; problems: ManifestProblem[] } {
  const parsed = parseManifestFile(file, text);
  return { tenants: parsed.tenants.map((t) => t.tenant), problems: [...parsed.problems] };
}

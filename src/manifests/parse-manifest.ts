// Per-file validation of tenant manifests: YAML syntax, schema and the rules inside one tenant and one
// file, each problem with the line of the offending field (from yaml's LineCounter). Linear in the size
// of the file: documents are read one at a time under budgets (limits.ts), aliases are resolved from one
// walk per document, and the rules between tenants use an index, not pairwise comparisons.
import picomatch from 'picomatch';
import { LineCounter, isAlias, isMap, isScalar, isSeq, type Alias, type Document, type Node, type YAMLMap } from 'yaml';
import { didYouMean } from '../config/did-you-mean.js';
import { describeValue } from '../config/describe-value.js';
import {
  LINK_LOCAL_6, MTU_MAX, MTU_MIN, MULTICAST_6, RESERVED_ZERO_6, TENANT_ID_MAX, TENANT_ID_MIN, canonicalIpv6, cidrs6Overlap, formatIpv4, formatIpv6, ipv6InSubnet,
  network6Of, networkOf, parseCidr, parseCidr6, parseIpv4, parseIpv6, range6Of, rangeOf, workloadIfNameFault,
} from '../net/index.js';
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

/** What differs between the address families of spec.gateway/spec.staticAddresses and spec.gateway6/spec.staticAddresses6. */
interface StaticFamily {
  /** The family's gateway field. */
  readonly gateway: string;
  readonly field: string;
  readonly example: string;
  /** How a wrong shape of the whole field is described. */
  readonly shape: string;
  /** The address in the form nsvswitch stores (IPv6: RFC 5952), or undefined with a problem reported. */
  value(ctx: Ctx, node: Node, line: number, path: string): string | undefined;
  fault(ip: string, subnet: string): string | undefined;
}

const IPV4_FAMILY: StaticFamily = { gateway: 'spec.gateway', field: 'spec.staticAddresses', example: 'an IPv4 address like 10.10.0.1', shape: 'of namespace name to IPv4 address', value: ipv4Value, fault: addressFault };
const IPV6_FAMILY: StaticFamily = { gateway: 'spec.gateway6', field: 'spec.staticAddresses6', example: 'an IPv6 address like fd00:10::1', shape: 'of namespace name to IPv6 address', value: ipv6Value, fault: address6Fault };

/**
 * spec.gateway or spec.gateway6: an address of the family inside the tenant's subnet of that family; `withoutSubnet`
 * is the problem reported when the subnet field is absent.
 */
function gatewayOf(
  ctx: Ctx, f: { node: Node; line: number } | undefined, family: StaticFamily, subnet: string | undefined, hasSubnetField: boolean, withoutSubnet: string,
): string | undefined {
  if (!f) return undefined;
  const g = family.value(ctx, f.node, f.line, family.gateway);
  const fault = g !== undefined && subnet !== undefined ? family.fault(g, subnet) : undefined;
  if (g !== undefined && !hasSubnetField) ctx.report(f.line, withoutSubnet);
  else if (fault !== undefined) ctx.report(f.line, `${family.gateway} ${g} ${fault}`);
  else return g;
  return undefined;
}

/** spec.staticAddresses or spec.staticAddresses6: namespace or workload name → address, with the same rules for both families. */
function staticAddressesOf(
  ctx: Ctx, saF: { node: Node; line: number } | undefined, fam: StaticFamily, subnet: string | undefined, gateway: string | undefined,
  keyUsed: (key: string) => boolean, selecting: boolean,
): { addresses: Map<string, string>; lines: Map<string, number> } {
  const addresses = new Map<string, string>();
  const lines = new Map<string, number>();
  if (!saF) return { addresses, lines };
  const sm = mappingOrReport(ctx, saF.node, saF.line, fam.field, fam.shape);
  const owner = new Map<string, string>();
  for (const pair of sm?.items ?? []) {
    const keyNode = ctx.resolve(pair.key);
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    const keyLine = ctx.line(keyNode, saF.line);
    // A namespace file name, a container name, or a pod as "namespace/pod" (one "/", a Kubernetes namespace name before it).
    const podKey = key !== undefined && /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[^/]+$/.test(key);
    if (key === undefined || key === '' || (key.includes('/') && !podKey) || key === '.' || key === '..') {
      ctx.report(keyLine, `${fam.field} key ${key === undefined ? '?' : JSON.stringify(key)} must be a namespace name (a file name, without "/"), a container name, or a pod as "namespace/pod"`);
      continue;
    }
    const valueNode = ctx.resolve(pair.value);
    const line = ctx.line(valueNode, keyLine);
    const ip = valueNode === null ? undefined : fam.value(ctx, valueNode, line, `${fam.field}.${key}`);
    if (valueNode === null) ctx.report(line, `${fam.field}.${key} must be ${fam.example}, got nothing (null)`);
    if (ip === undefined) continue;
    const fault = subnet === undefined ? undefined : fam.fault(ip, subnet);
    const first = owner.get(ip);
    if (fault !== undefined) ctx.report(line, `static address ${ip} of namespace "${key}" ${fault}`);
    else if (ip === gateway) ctx.report(line, `static address ${ip} of namespace "${key}" is the gateway address`);
    else if (first !== undefined) ctx.report(line, `static address ${ip} of namespace "${key}" is also the static address of namespace "${first}"`);
    else if (!keyUsed(key)) {
      ctx.report(keyLine, `static address of namespace "${key}" is never used: "${key}" matches none of spec.namespaces${selecting ? ' nor the names of spec.workloads' : ''}`);
    } else {
      owner.set(ip, key);
      addresses.set(key, ip);
      lines.set(key, keyLine);
    }
  }
  return { addresses, lines };
}

/** An IPv6 address in RFC 5952 form, or undefined with a problem reported. */
function ipv6Value(ctx: Ctx, node: Node, line: number, path: string): string | undefined {
  const v = ctx.js(node);
  const c = typeof v === 'string' ? canonicalIpv6(v) : undefined;
  if (c !== undefined) return c;
  ctx.report(line, `${path} must be an IPv6 address like fd00:10::1, got ${describeValue(v)}`);
  return undefined;
}

/** Why an IPv6 address may not be given to a namespace or be the gateway, or undefined if it is fine. */
function address6Fault(ip: string, subnet: string): string | undefined {
  const c = parseCidr6(subnet);
  const a = parseIpv6(ip);
  if (!c || a === undefined) return undefined;
  const [first] = range6Of(c);
  if (!ipv6InSubnet(ip, subnet)) return `is outside subnet ${subnet}`;
  // RFC 4291 2.6.1: the prefix with an all-zero interface id is the Subnet-Router anycast address.
  if (a === first) return `is the subnet-router anycast address of subnet ${subnet}`;
  return undefined;
}

/** Shortest and longest IPv6 prefix a tenant may have: /64 (what SLAAC-era tools assume) to /126 (two host addresses). */
export const SUBNET6_PREFIX_MIN = 64;
export const SUBNET6_PREFIX_MAX = 126;

/** spec.subnet6 in RFC 5952 form, or undefined with a problem reported. */
function subnet6Value(ctx: Ctx, node: Node, line: number): string | undefined {
  const v = ctx.js(node);
  const c = typeof v === 'string' ? parseCidr6(v) : undefined;
  if (typeof v !== 'string' || !c) {
    ctx.report(line, `spec.subnet6 must be an IPv6 prefix like fd00:10::/64, got ${describeValue(v)}`);
    return undefined;
  }
  const text = `${formatIpv6(network6Of(c))}/${c.prefixLen}`;
  if (network6Of(c) !== c.address) ctx.report(line, `spec.subnet6 ${v} has host bits set; the network is ${text}`);
  else if (c.prefixLen < SUBNET6_PREFIX_MIN) ctx.report(line, `spec.subnet6 ${v} is too large: a tenant's IPv6 prefix must be /${SUBNET6_PREFIX_MIN} or longer`);
  else if (c.prefixLen > SUBNET6_PREFIX_MAX) ctx.report(line, `spec.subnet6 ${v} is too small: it leaves no address for a namespace (the subnet-router anycast address and the gateway are never assigned); use /${SUBNET6_PREFIX_MAX} or shorter`);
  else if (cidrs6Overlap(c, LINK_LOCAL_6)) ctx.report(line, `spec.subnet6 ${v} is link-local (fe80::/10): every interface has its own link-local address already; use a global or unique-local prefix (fd00::/8)`);
  else if (cidrs6Overlap(c, MULTICAST_6)) ctx.report(line, `spec.subnet6 ${v} is multicast (ff00::/8), not a unicast prefix`);
  else if (cidrs6Overlap(c, RESERVED_ZERO_6)) ctx.report(line, `spec.subnet6 ${v} lies in ::/64 (unspecified, loopback, IPv4-mapped addresses), not a unicast prefix`);
  else return text;
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
  // A tenant has an IPv4 subnet, an IPv6 prefix (spec.subnet6), or both: at least one.
  if (!subnetF) {
    if (!get(sf, 'subnet6')) ctx.report(specLine, 'spec.subnet is missing (an IPv4 CIDR like 10.10.0.0/24; or an IPv6 prefix in spec.subnet6; or both)');
  } else {
    const v = ctx.js(subnetF.node);
    const c = typeof v === 'string' ? parseCidr(v) : undefined;
    if (typeof v !== 'string' || !c) ctx.report(subnetF.line, `spec.subnet must be an IPv4 CIDR like 10.10.0.0/24, got ${describeValue(v)}`);
    else if (networkOf(c) !== c.address) ctx.report(subnetF.line, `spec.subnet ${v} has host bits set; the network is ${formatIpv4(networkOf(c))}/${c.prefixLen}`);
    else if (c.prefixLen > 30) ctx.report(subnetF.line, `spec.subnet ${v} is too small: it leaves no address for a namespace (network, broadcast and gateway are never assigned); use /30 or larger`);
    else subnet = v;
  }

  // The tenant gateway (its port, routes and nftables) is IPv4-only: an IPv6-only tenant cannot have one.
  const gwF = get(sf, 'gateway');
  const gateway = gatewayOf(ctx, gwF, IPV4_FAMILY, subnet, subnetF !== undefined,
    'spec.gateway needs spec.subnet: the tenant gateway is IPv4-only (an IPv6-only tenant has no gateway port; spec.gateway6 sets its workloads\' IPv6 default route)');

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
  let matchers: ((s: string) => boolean)[] | undefined;
  const matchesAny = (key: string): boolean => (matchers ??= namespaces.map((p) => picomatch(p.slice(p.lastIndexOf('/') + 1), GLOB_OPTIONS))).some((m) => m(key));
  const keyUsed = (key: string): boolean => (namespaces.length === 0 && wl.selectors.length === 0) || matchesAny(key) || workloadNameMayMatch(wl.selectors, key);
  const saF = get(sf, 'staticAddresses');
  if (saF && !subnetF) ctx.report(saF.line, 'spec.staticAddresses needs spec.subnet (the IPv4 subnet its addresses lie in; IPv6 addresses go in spec.staticAddresses6)');
  const statics = staticAddressesOf(ctx, subnetF ? saF : undefined, IPV4_FAMILY, subnet, gateway, keyUsed, wl.selectors.length > 0);

  // IPv6 (optional, beside the IPv4 subnet): spec.subnet6, spec.gateway6, spec.staticAddresses6.
  const subnet6F = get(sf, 'subnet6');
  const subnet6 = subnet6F ? subnet6Value(ctx, subnet6F.node, subnet6F.line) : undefined;
  const gw6F = get(sf, 'gateway6');
  const gateway6 = gatewayOf(ctx, gw6F, IPV6_FAMILY, subnet6, subnet6F !== undefined, 'spec.gateway6 needs spec.subnet6 (the IPv6 prefix it lies in)');
  const sa6F = get(sf, 'staticAddresses6');
  if (sa6F && !subnet6F) ctx.report(sa6F.line, 'spec.staticAddresses6 needs spec.subnet6 (the IPv6 prefix its addresses lie in)');
  const statics6 = staticAddressesOf(ctx, subnet6F ? sa6F : undefined, IPV6_FAMILY, subnet6, gateway6, keyUsed, wl.selectors.length > 0);

  // spec.egress: the gateway's policy (parse-egress.ts); absent = DEFAULT_EGRESS (snat, nothing else allowed).
  const egressF = get(sf, 'egress');
  const egressParsed = parseEgress(egressF ? ctx.js(egressF.node) : undefined, name, gateway !== undefined || gwF !== undefined);
  for (const p of egressParsed.problems) ctx.report(egressF?.line ?? specLine, p.message);
  const egress = gateway === undefined ? undefined : egressParsed.egress;

  if (ctx.problems.length > before || name === undefined || id === undefined || (subnetF && subnet === undefined) || (subnet6F && subnet6 === undefined)) return undefined;
  if (subnet === undefined && subnet6 === undefined) return undefined;
  const tenant: Tenant = {
    name,
    id,
    ...(subnet === undefined ? {} : { subnet }),
    ...(gateway === undefined ? {} : { gateway }),
    namespaces,
    ...(wl.selectors.length > 0 ? { workloads: wl.selectors } : {}),
    interface: { name: ifName, mtu, ...(secondaryName === undefined ? {} : { secondaryName }) },
    staticAddresses: ownRecord(statics.addresses),
    ...(subnet6 === undefined ? {} : { subnet6, staticAddresses6: ownRecord(statics6.addresses) }),
    ...(gateway6 === undefined ? {} : { gateway6 }),
    ...(egress === undefined ? {} : { egress }),
    source: { file: ctx.file, line: docLine },
  };
  return {
    tenant,
    lines: {
      doc: docLine,
      name: nameLine,
      id: idF?.line ?? docLine,
      ...(subnetF ? { subnet: subnetF.line } : {}),
      ...(gwF ? { gateway: gwF.line } : {}),
      namespaces: nsLines,
      ...(wlF ? { workloads: wl.selectors.map((_, i) => wlItemLine(i)) } : {}),
      staticAddresses: ownRecord(statics.lines),
      ...(subnet6F ? { subnet6: subnet6F.line, staticAddresses6: ownRecord(statics6.lines) } : {}),
      ...(gw6F ? { gateway6: gw6F.line } : {}),
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

// One table describes every agent configuration key: its flag, help text and validation, so the
// config file, the flags, the help text and the docs cannot drift apart.
import { isAbsolute, resolve } from 'node:path';
import type { AgentConfig, Backend, DatapathType, FlowDriverMode, LogLevel, OvnEncapType, PlumbingMode, TxChecksumOffloadMode } from './types.js';
import { isIpv4 } from '../net/ipv4.js';
import { describeValue } from './describe-value.js';
import { formatDuration, parseDuration } from './duration.js';
import { KERNEL_IFNAME_RULE, isKernelIfName } from '../net/ifname.js';

/** Where a value came from: a config file (relative paths resolve against its dir) or a flag (against the cwd). */
export type ValueSource = { readonly kind: 'file'; readonly baseDir: string } | { readonly kind: 'flag' };

/** Thrown by a key's coerce(); callers turn it into a ConfigError or FlagError that names file:line or flag. */
export class InvalidValue extends Error {}

export interface KeySpec<K extends keyof AgentConfig> {
  readonly key: K;
  /** Command-line flag, e.g. "--bridge". */
  readonly flag: string;
  readonly metavar: string;
  /** Flag may be given several times (values collected into a list). */
  readonly repeatable?: boolean;
  readonly help: string;
  coerce(value: unknown, src: ValueSource): AgentConfig[K];
}

export const DATAPATH_TYPES: readonly DatapathType[] = ['system', 'netdev'];
export const TX_CHECKSUM_OFFLOAD_MODES: readonly TxChecksumOffloadMode[] = ['auto', 'off', 'keep'];
export const PLUMBING_MODES: readonly PlumbingMode[] = ['auto', 'native', 'process'];
export const FLOW_DRIVER_MODES: readonly FlowDriverMode[] = ['auto', 'native', 'ofctl'];
export const BACKENDS: readonly Backend[] = ['local', 'ovn'];
export const OVN_ENCAP_TYPES: readonly OvnEncapType[] = ['geneve', 'vxlan'];
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const RESYNC_MIN_MS = 100;
export const RESYNC_MAX_MS = 86_400_000;

function str(key: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new InvalidValue(`${key} must be a non-empty string, got ${describeValue(v)}`);
  return v;
}

function path(key: string, v: unknown, src: ValueSource): string {
  const p = str(key, v);
  if (p.includes('\0')) throw new InvalidValue(`${key} must be a path, got ${describeValue(v)}`);
  if (isAbsolute(p)) return p;
  return src.kind === 'file' ? resolve(src.baseDir, p) : resolve(p);
}

function bool(key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new InvalidValue(`${key} must be true or false, got ${describeValue(v)}`);
}

function oneOf<T extends string>(key: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new InvalidValue(`${key} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describeValue(v)}`);
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** Splits "host:port" / "[v6]:port"; undefined if either part is malformed. */
function hostPort(text: string): { host: string; port: number } | undefined {
  const i = text.lastIndexOf(':');
  if (i <= 0) return undefined;
  const host = text.slice(0, i);
  const port = text.slice(i + 1);
  if (!HOST.test(host) || !/^\d{1,5}$/.test(port) || Number(port) > 65535) return undefined;
  return { host, port: Number(port) };
}

function ovsdbEndpoint(key: string, v: unknown, src: ValueSource, ssl = false): string {
  const s = str(key, v);
  if (s.startsWith('unix:') && s.length > 5) return `unix:${path(key, s.slice(5), src)}`;
  if (s.startsWith('tcp:') && hostPort(s.slice(4))) return s;
  if (ssl && s.startsWith('ssl:') && hostPort(s.slice(4))) return s;
  throw new InvalidValue(`${key} must be unix:PATH${ssl ? ', tcp:HOST:PORT or ssl:HOST:PORT' : ' or tcp:HOST:PORT'}, got ${describeValue(v)}`);
}

/**
 * One endpoint, or the members of a clustered database as a comma-separated list (the client follows the Raft leader).
 * `ssl`: ssl: remotes are accepted too (OVN's databases); a YAML list is accepted where `list` is set.
 */
function ovsdbRemotes(key: string, v: unknown, src: ValueSource, opts: { ssl?: boolean; list?: boolean } = {}): string {
  if (opts.list && Array.isArray(v)) {
    if (v.length === 0) throw new InvalidValue(`${key} must be a non-empty list of remotes, got ${describeValue(v)}`);
    return v.map((r: unknown, i) => ovsdbEndpoint(`${key}[${i}]`, r, src, opts.ssl)).join(',');
  }
  const s = str(key, v);
  if (!s.includes(',')) return ovsdbEndpoint(key, s, src, opts.ssl);
  return s.split(',').map((r) => ovsdbEndpoint(key, r.trim(), src, opts.ssl)).join(',');
}

function listen(key: string, v: unknown): string {
  const s = str(key, v);
  if (hostPort(s)) return s;
  throw new InvalidValue(`${key} must be HOST:PORT (port 0..65535; IPv6 as [::1]:PORT), got ${describeValue(v)}`);
}

function duration(key: string, v: unknown): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || !Number.isInteger(ms)) {
    throw new InvalidValue(`${key} must be a duration like 30s, 500ms or 2m (or an integer of milliseconds), got ${describeValue(v)}`);
  }
  if (ms < RESYNC_MIN_MS || ms > RESYNC_MAX_MS) {
    throw new InvalidValue(`${key} must be between ${formatDuration(RESYNC_MIN_MS)} and ${formatDuration(RESYNC_MAX_MS)}, got ${formatDuration(ms)}`);
  }
  return ms;
}

export const KEY_SPECS: { readonly [K in keyof AgentConfig]-?: KeySpec<K> } = {
  ovsdb: {
    key: 'ovsdb', flag: '--ovsdb', metavar: 'ENDPOINT',
    help: 'OVSDB endpoint of ovsdb-server: unix:PATH or tcp:HOST:PORT, or a comma-separated list of the members of a cluster',
    coerce: (v, src) => ovsdbRemotes('ovsdb', v, src),
  },
  ovsRundir: {
    key: 'ovsRundir', flag: '--ovs-rundir', metavar: 'DIR',
    help: 'OVS run directory (holds BRIDGE.mgmt sockets for ovs-ofctl)',
    coerce: (v, src) => path('ovsRundir', v, src),
  },
  bridge: {
    key: 'bridge', flag: '--bridge', metavar: 'NAME',
    help: 'OVS bridge nsvswitch creates and programs',
    coerce: (v) => {
      const s = str('bridge', v);
      if (!isKernelIfName(s)) throw new InvalidValue(`bridge ${JSON.stringify(s)} is not a valid interface name: ${KERNEL_IFNAME_RULE}`);
      return s;
    },
  },
  datapathType: {
    key: 'datapathType', flag: '--datapath-type', metavar: 'TYPE',
    help: 'Bridge datapath: system (kernel module) or netdev (userspace)',
    coerce: (v) => oneOf('datapathType', v, DATAPATH_TYPES),
  },
  txChecksumOffload: {
    key: 'txChecksumOffload', flag: '--tx-checksum-offload', metavar: 'MODE',
    help: 'Tx checksum offload on workload veth ends: auto (off on netdev, kept on system), off, or keep (netdev only with ovs-vswitchd started with userspace-tso-enable=true)',
    coerce: (v) => oneOf('txChecksumOffload', v, TX_CHECKSUM_OFFLOAD_MODES),
  },
  plumbing: {
    key: 'plumbing', flag: '--plumbing', metavar: 'MODE',
    help: 'How namespaces are plugged: auto (in-process rtnetlink when the native addon loads, else ip/nsenter processes), native (refuse to start without the addon), or process',
    coerce: (v) => oneOf('plumbing', v, PLUMBING_MODES),
  },
  flowDriver: {
    key: 'flowDriver', flag: '--flow-driver', metavar: 'MODE',
    help: 'How flows reach the switch: auto (in-process OpenFlow, ovs-ofctl when that connection fails), native (never ovs-ofctl), or ofctl (one ovs-ofctl process per dump and per bundle)',
    coerce: (v) => oneOf('flowDriver', v, FLOW_DRIVER_MODES),
  },
  manifestDir: {
    key: 'manifestDir', flag: '--manifest-dir', metavar: 'DIR',
    help: 'Directory of tenant manifests (*.yaml, *.yml), watched for changes',
    coerce: (v, src) => path('manifestDir', v, src),
  },
  manifestStrictModes: {
    key: 'manifestStrictModes', flag: '--manifest-strict-modes', metavar: 'BOOL',
    help: 'Refuse a manifest directory or file writable by group or others, or owned by another user than root or the agent (true/false)',
    coerce: (v) => bool('manifestStrictModes', v),
  },
  namespaceDirs: {
    key: 'namespaceDirs', flag: '--namespace-dir', metavar: 'DIR', repeatable: true,
    help: 'Directory watched for network namespace files (repeat for several)',
    coerce: (v, src) => {
      if (!Array.isArray(v) || v.length === 0) throw new InvalidValue(`namespaceDirs must be a non-empty list of directories, got ${describeValue(v)}`);
      const dirs = v.map((d: unknown, i) => path(`namespaceDirs[${i}]`, d, src));
      return [...new Set(dirs)];
    },
  },
  hostNetns: {
    key: 'hostNetns', flag: '--host-netns', metavar: 'PATH',
    help: 'Network namespace file where OVS runs (default: the agent\'s own namespace)',
    coerce: (v, src) => path('hostNetns', v, src),
  },
  metricsListen: {
    key: 'metricsListen', flag: '--metrics-listen', metavar: 'HOST:PORT',
    help: 'Address of the HTTP endpoint (/metrics, /healthz, /readyz, /status)',
    coerce: (v) => listen('metricsListen', v),
  },
  logLevel: {
    key: 'logLevel', flag: '--log-level', metavar: 'LEVEL',
    help: `Log level: ${LOG_LEVELS.join(', ')}`,
    coerce: (v) => oneOf('logLevel', v, LOG_LEVELS),
  },
  resyncIntervalMs: {
    key: 'resyncIntervalMs', flag: '--resync-interval', metavar: 'DURATION',
    help: 'Full resync period (level-triggered repair), e.g. 30s',
    coerce: (v) => duration('resyncIntervalMs', v),
  },
  dockerSocket: {
    key: 'dockerSocket', flag: '--docker-socket', metavar: 'PATH',
    help: 'Docker Engine API socket, e.g. /run/docker.sock: select containers by name and labels (default: off)',
    coerce: (v, src) => path('dockerSocket', v, src),
  },
  dockerNetnsDir: {
    key: 'dockerNetnsDir', flag: '--docker-netns-dir', metavar: 'DIR',
    help: 'Where Docker pins container namespaces (its exec root + /netns; default /run/docker/netns)',
    coerce: (v, src) => path('dockerNetnsDir', v, src),
  },
  criSocket: {
    key: 'criSocket', flag: '--cri-socket', metavar: 'PATH',
    help: 'CRI runtime socket, e.g. /run/containerd/containerd.sock: select Kubernetes pods by namespace and labels (default: off)',
    coerce: (v, src) => path('criSocket', v, src),
  },
  criNetnsDir: {
    key: 'criNetnsDir', flag: '--cri-netns-dir', metavar: 'DIR',
    help: 'Where the agent sees the CRI runtime\'s pod namespace files (default /run/netns)',
    coerce: (v, src) => path('criNetnsDir', v, src),
  },
  backend: {
    key: 'backend', flag: '--backend', metavar: 'BACKEND',
    help: 'local (this host\'s own OpenFlow pipeline) or ovn (tenants span hosts: OVN logical switches; needs --ovn-nb-remotes, --ovn-sb-remotes, --ovn-encap-ip)',
    coerce: (v) => oneOf('backend', v, BACKENDS),
  },
  ovnNbRemotes: {
    key: 'ovnNbRemotes', flag: '--ovn-nb-remotes', metavar: 'REMOTES',
    help: 'ovn: the OVN northbound database, unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT; a cluster\'s members comma-separated',
    coerce: (v, src) => ovsdbRemotes('ovnNbRemotes', v, src, { ssl: true, list: true }),
  },
  ovnSbRemotes: {
    key: 'ovnSbRemotes', flag: '--ovn-sb-remotes', metavar: 'REMOTES',
    help: 'ovn: the OVN southbound database (ovn-controller\'s ovn-remote), same forms as --ovn-nb-remotes',
    coerce: (v, src) => ovsdbRemotes('ovnSbRemotes', v, src, { ssl: true, list: true }),
  },
  ovnSystemId: {
    key: 'ovnSystemId', flag: '--ovn-system-id', metavar: 'NAME',
    help: 'ovn: this host\'s chassis name (default: Open_vSwitch external_ids:system-id, else the host name)',
    coerce: (v) => {
      const s = str('ovnSystemId', v);
      if (!OVN_SYSTEM_ID.test(s)) throw new InvalidValue(`ovnSystemId must be 1 to 64 of A-Z a-z 0-9 . _ -, got ${describeValue(v)}`);
      return s;
    },
  },
  ovnEncapIp: {
    key: 'ovnEncapIp', flag: '--ovn-encap-ip', metavar: 'IPV4',
    help: 'ovn: this host\'s underlay address for tunnels (required in ovn mode)',
    coerce: (v) => {
      const s = str('ovnEncapIp', v);
      if (!isIpv4(s)) throw new InvalidValue(`ovnEncapIp must be an IPv4 address, got ${describeValue(v)}`);
      return s;
    },
  },
  ovnEncapType: {
    key: 'ovnEncapType', flag: '--ovn-encap-type', metavar: 'TYPE',
    help: 'ovn: tunnel encapsulation between chassis: geneve or vxlan',
    coerce: (v) => oneOf('ovnEncapType', v, OVN_ENCAP_TYPES),
  },
};

/** A chassis name: it goes into OVN row names, external_ids and logical port names (`nsvs-<systemId>-<port>`). */
export const OVN_SYSTEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const CONFIG_KEYS = Object.keys(KEY_SPECS) as (keyof AgentConfig)[];

/** Validates one value for one key (throws InvalidValue with a plain reason). */
export function coerceValue<K extends keyof AgentConfig>(key: K, value: unknown, src: ValueSource): AgentConfig[K] {
  // The mapped type guarantees KEY_SPECS[key] is KeySpec<K>; TypeScript cannot see it through the index.
  const spec = KEY_SPECS[key] as unknown as KeySpec<K>;
  return spec.coerce(value, src);
}

/** A value error worded for a flag: the flag names the key, so the key prefix of the message goes. */
export function flagMessage(key: keyof AgentConfig, message: string): string {
  return message.replace(new RegExp(`^${key}(\\[\\d+\\])? `), '');
}

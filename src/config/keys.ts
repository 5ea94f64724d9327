// One table describes every agent configuration key: its flag, help text and validation, so the
// config file, the flags, the help text and the docs cannot drift apart.
import { isAbsolute, resolve } from 'node:path';
import type { AgentConfig, DatapathType, FlowDriverMode, LogLevel, PlumbingMode, TxChecksumOffloadMode } from './types.js';
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

function ovsdbEndpoint(key: string, v: unknown, src: ValueSource): string {
  const s = str(key, v);
  if (s.startsWith('unix:') && s.length > 5) return `unix:${path(key, s.slice(5), src)}`;
  if (s.startsWith('tcp:') && hostPort(s.slice(4))) return s;
  throw new InvalidValue(`${key} must be unix:PATH or tcp:HOST:PORT, got ${describeValue(v)}`);
}

/** One endpoint, or the members of a clustered database as a comma-separated list (the client follows the Raft leader). */
function ovsdbRemotes(key: string, v: unknown, src: ValueSource): string {
  const s = str(key, v);
  if (!s.includes(',')) return ovsdbEndpoint(key, s, src);
  return s.split(',').map((r) => ovsdbEndpoint(key, r.trim(), src)).join(',');
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
};

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

// The agent configuration: defaults for a standard Debian Open vSwitch install, a YAML file, then flags.
import { readFile } from 'node:fs/promises';
import type { AgentConfig } from './types.js';
import { ConfigError } from './config-error.js';
import { CONFIG_KEYS, InvalidValue, KEY_SPECS, coerceValue, flagMessage } from './keys.js';
import { parseConfigText, type ConfigOverrides } from './parse-config.js';
import { configHelp as helpFor, parseAgentFlags, type ParsedFlags, type ParseFlagsOptions } from './flags.js';
import { suggestion } from './did-you-mean.js';

export type { AgentConfig, DatapathType, LogLevel } from './types.js';
export { ConfigError } from './config-error.js';
export { FlagError } from './flag-error.js';
export { parseConfigText, type ConfigOverrides } from './parse-config.js';
export { parseAgentFlags, type ParsedFlags, type ParseFlagsOptions };
export { CONFIG_KEYS, KEY_SPECS } from './keys.js';
export { parseDuration, formatDuration } from './duration.js';
export { didYouMean } from './did-you-mean.js';

/** Conventional place of the config file (read by `nsvswitch run` only when given with --config). */
export const DEFAULT_CONFIG_FILE = '/etc/nsvswitch/config.yaml';

/** Port of the metrics/health endpoint unless configured otherwise. */
export const DEFAULT_METRICS_PORT = 9476;

export const DEFAULT_CONFIG: AgentConfig = Object.freeze({
  ovsdb: 'unix:/var/run/openvswitch/db.sock',
  ovsRundir: '/var/run/openvswitch',
  bridge: 'br-nsv',
  datapathType: 'system',
  txChecksumOffload: 'auto',
  plumbing: 'auto',
  flowDriver: 'auto',
  manifestDir: '/etc/nsvswitch/tenants.d',
  manifestStrictModes: true,
  namespaceDirs: Object.freeze(['/run/netns', '/run/docker/netns']),
  metricsListen: `127.0.0.1:${DEFAULT_METRICS_PORT}`,
  logLevel: 'info',
  resyncIntervalMs: 30_000,
  backend: 'local',
  ovnEncapType: 'geneve',
});

export interface LoadConfigOptions {
  /** YAML config file; its values override the defaults. */
  readonly file?: string;
  /** Overrides from flags (or from code); validated like file values, relative paths against the cwd. */
  readonly flags?: Partial<Record<keyof AgentConfig, unknown>>;
  /** Check keys that belong together (default true); a command that reads only some of them (ovn-forget-chassis) turns it off. */
  readonly checkTogether?: boolean;
}

/** Defaults ← config file ← flags, every value validated. Throws ConfigError naming file:line and key. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<AgentConfig> {
  let fromFile: ConfigOverrides = {};
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new ConfigError(`cannot read config file: ${code}`, { file: opts.file }, { cause: e });
    }
    fromFile = parseConfigText(opts.file, text);
  }
  const fromFlags: ConfigOverrides = {};
  for (const [key, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue;
    if (!(CONFIG_KEYS as string[]).includes(key)) throw new ConfigError(`unknown key "${key}"${suggestion(key, CONFIG_KEYS)}`, { key });
    setOverride(fromFlags, key as keyof AgentConfig, value);
  }
  const config = { ...DEFAULT_CONFIG, ...fromFile, ...fromFlags };
  if (opts.checkTogether ?? true) checkTogether(config, opts.file);
  return config;
}

/** Keys that only make sense together (the ovn backend and its databases), checked once every source is merged. */
export function checkTogether(config: AgentConfig, file?: string): void {
  const where = file !== undefined ? { file } : {};
  const ovnKeys = (['ovnNbRemotes', 'ovnSbRemotes', 'ovnSystemId', 'ovnEncapIp'] as const).filter((k) => config[k] !== undefined);
  if (config.backend !== 'ovn') {
    if (ovnKeys.length > 0) throw new ConfigError(`${ovnKeys.join(', ')} given but backend is "${config.backend}": set backend: ovn (--backend ovn), or drop them`, { ...where, key: ovnKeys[0]! });
    return;
  }
  const missing = (['ovnNbRemotes', 'ovnSbRemotes', 'ovnEncapIp'] as const).filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`backend ovn needs ${missing.map((k) => `${k} (${KEY_SPECS[k].flag})`).join(', ')}: the northbound database to write, the southbound one ovn-controller reads, and this host's tunnel address`, { ...where, key: missing[0]! });
  }
}

function setOverride<K extends keyof AgentConfig>(out: ConfigOverrides, key: K, value: unknown): void {
  const spec = KEY_SPECS[key];
  try {
    out[key] = coerceValue(key, value, { kind: 'flag' });
  } catch (e) {
    if (e instanceof InvalidValue) throw new ConfigError(`${spec.flag}: ${flagMessage(key, e.message)}`, { key });
    throw e;
  }
}

/** Flag help text for `nsvswitch run --help` (and other commands that read the agent config). */
export function configHelp(): string {
  return helpFor(DEFAULT_CONFIG);
}

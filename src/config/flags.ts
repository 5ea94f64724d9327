// Command-line flags of the agent: every config key has one; they override the config file.
import type { AgentConfig } from './types.js';
import { FlagError } from './flag-error.js';
import { CONFIG_KEYS, InvalidValue, KEY_SPECS, coerceValue, flagMessage } from './keys.js';
import { suggestion } from './did-you-mean.js';
import type { ConfigOverrides } from './parse-config.js';
import { formatDuration } from './duration.js';

export interface ParsedFlags {
  /** --config FILE / -c FILE. */
  readonly configFile?: string;
  /** Validated overrides, one per flag given. */
  readonly flags: ConfigOverrides;
  /** Positional arguments (and, with allowUnknown, flags this parser does not know, in order). */
  readonly rest: string[];
  readonly help: boolean;
}

export interface ParseFlagsOptions {
  /** Leave unknown flags in `rest` (for commands with flags of their own) instead of throwing FlagError. */
  readonly allowUnknown?: boolean;
}

const BY_FLAG = new Map(CONFIG_KEYS.map((k) => [KEY_SPECS[k].flag, KEY_SPECS[k]]));
const ALL_FLAGS = ['--config', '--help', ...BY_FLAG.keys()];

/** Parses agent flags (`--flag VALUE` or `--flag=VALUE`; `--` ends flags). Throws FlagError. */
export function parseAgentFlags(argv: readonly string[], opts: ParseFlagsOptions = {}): ParsedFlags {
  let configFile: string | undefined;
  let help = false;
  const flags: ConfigOverrides = {};
  const repeated = new Map<keyof AgentConfig, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const spec = BY_FLAG.get(name);
    const isConfig = name === '--config' || name === '-c';
    if (!spec && !isConfig) {
      if (opts.allowUnknown) {
        rest.push(arg);
        continue;
      }
      throw new FlagError(name, `unknown flag${suggestion(name, ALL_FLAGS)}`);
    }
    let value: string;
    if (eq > 0 && name !== arg) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(name, `needs a value (${spec?.metavar ?? 'FILE'})`);
      value = next;
      i++;
    }
    if (isConfig) {
      if (value === '') throw new FlagError(name, 'needs a value (FILE)');
      configFile = value;
    } else if (spec) {
      if (spec.repeatable) {
        const list = repeated.get(spec.key) ?? [];
        list.push(value);
        repeated.set(spec.key, list);
      } else setFlag(flags, spec.key, value);
    }
  }
  for (const [key, values] of repeated) setFlag(flags, key, values);
  return { ...(configFile === undefined ? {} : { configFile }), flags, rest, help };
}

function setFlag<K extends keyof AgentConfig>(flags: ConfigOverrides, key: K, value: unknown): void {
  const spec = KEY_SPECS[key];
  try {
    flags[key] = coerceValue(key, value, { kind: 'flag' });
  } catch (e) {
    if (e instanceof InvalidValue) throw new FlagError(spec.flag, flagMessage(key, e.message));
    throw e;
  }
}

/** Help text of the agent flags, with defaults; shared by every command that talks to the agent's config. */
export function configHelp(defaults: AgentConfig): string {
  const rows: [string, string][] = [['-c, --config FILE', 'YAML config file (keys: see docs/configuration.md); flags override it']];
  for (const k of CONFIG_KEYS) {
    const s = KEY_SPECS[k];
    const d = defaults[k];
    const shown = d === undefined ? '' : k === 'resyncIntervalMs' ? formatDuration(d as number) : Array.isArray(d) ? d.join(', ') : String(d);
    rows.push([`    ${s.flag} ${s.metavar}`, `${s.help}${shown ? ` [default: ${shown}]` : ''}`]);
  }
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}\n`).join('');
}

import { loadConfig, parseAgentFlags, configHelp, ConfigError, FlagError, type AgentConfig } from '../config/index.js';

/** Either the config and the arguments left over, or the exit code the command should return now. */
export type ConfigArgs = { readonly config: AgentConfig; readonly rest: readonly string[] } | { readonly exit: number };

/**
 * The agent flags and --config shared by every command that talks to OVS:
 * prints help (exit 0) or a flag/config error naming the command (exit 2).
 */
export async function configFromArgs(command: string, usage: string, argv: readonly string[], opts: { allowUnknown?: boolean; checkTogether?: boolean } = {}): Promise<ConfigArgs> {
  try {
    const parsed = parseAgentFlags(argv, { allowUnknown: opts.allowUnknown ?? false });
    if (parsed.help) {
      process.stdout.write(`${usage}\n${configHelp()}\n`);
      return { exit: 0 };
    }
    const config = await loadConfig({ ...(parsed.configFile ? { file: parsed.configFile } : {}), flags: parsed.flags, ...(opts.checkTogether === false ? { checkTogether: false } : {}) });
    return { config, rest: parsed.rest };
  } catch (err) {
    if (err instanceof FlagError || err instanceof ConfigError) {
      process.stderr.write(`nsvswitch ${command}: ${err.message}\n`);
      return { exit: 2 };
    }
    throw err;
  }
}

import { configFromArgs } from './agent-config-args.js';
import { loadConfig, parseAgentFlags, type AgentConfig } from '../config/index.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { Agent } from '../agent/agent.js';
import { onReloadSignal, onStopSignal } from './signals.js';
import { reloadPlan } from './reload-plan.js';

const USAGE = `Usage: nsvswitch run [--config FILE] [flags]

Runs the agent: watches namespace directories, matches namespaces to tenant
manifests, plugs each into the OVS bridge with a veth pair, and programs
OpenFlow isolation. Logs are JSON lines on stdout (readable at a terminal).
SIGTERM/SIGINT drain and exit 0, leaving ports and flows in place.
SIGHUP re-reads the manifest directory and the config file (the log level
applies at once; other changed keys need a restart) and keeps running.

Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad flags or config.
`;

/**
 * SIGHUP: the config read again from the same flags and file, its log level
 * applied, then the manifest directory re-read now. Never throws: a config
 * that no longer loads is logged and the one in force stays.
 */
async function reload(argv: readonly string[], config: AgentConfig, agent: Agent, logger: Logger): Promise<AgentConfig> {
  let next = config;
  try {
    const parsed = parseAgentFlags(argv);
    const fresh = await loadConfig({ ...(parsed.configFile ? { file: parsed.configFile } : {}), flags: parsed.flags });
    const plan = reloadPlan(config, fresh);
    if (plan.logLevel) logger.level = plan.logLevel;
    if (plan.needRestart.length > 0) logger.warn({ bridge: config.bridge, keys: plan.needRestart }, 'config changes that need a restart were not applied');
    next = { ...config, logLevel: fresh.logLevel };
  } catch (err) {
    logger.warn({ bridge: config.bridge, err: err instanceof Error ? err.message : String(err) }, 'config reload failed; the config in force stays');
  }
  agent.reloadManifests();
  logger.info({ signal: 'SIGHUP', bridge: config.bridge, logLevel: next.logLevel, manifestDir: config.manifestDir }, 'reloaded: manifest directory re-read, log level applied');
  return next;
}

/** Runs until SIGTERM/SIGINT; exit code 0 on a clean drain. SIGHUP reloads. */
export default async function run(argv: string[]): Promise<number> {
  const args = await configFromArgs('run', USAGE, argv);
  if ('exit' in args) return args.exit;
  if (args.rest.length > 0) {
    process.stderr.write(`nsvswitch run: unexpected argument '${args.rest[0]}'\n`);
    return 2;
  }
  let { config } = args;
  const logger = createLogger({ level: config.logLevel });
  // Listening from the start: a SIGHUP while the agent starts must not kill it (exit 129).
  let agent: Agent | undefined;
  let stopping = false;
  let reloading: Promise<void> | undefined;
  let again = false;
  const requestReload = (): void => {
    if (stopping) {
      logger.warn({ signal: 'SIGHUP', bridge: config.bridge }, 'draining: reload ignored');
      return;
    }
    const running = agent;
    if (!running) {
      logger.warn({ signal: 'SIGHUP', bridge: config.bridge }, 'still starting: reload ignored (the manifests are being read anyway)');
      return;
    }
    // One reload at a time; signals during one fold into one more after it.
    if (reloading) {
      again = true;
      return;
    }
    reloading = (async () => {
      do {
        again = false;
        config = await reload(argv, config, running, logger);
      } while (again && !stopping);
      reloading = undefined;
    })();
  };
  onReloadSignal(requestReload);
  try {
    agent = await Agent.start(config, { logger });
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err), ovsdb: config.ovsdb, bridge: config.bridge }, 'agent failed to start');
    await new Promise((r) => setTimeout(r, 50));
    return 1;
  }
  const started = agent;
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      stopping = true;
      logger.info({ signal, bridge: config.bridge }, 'draining: ports and flows stay in place');
      started.stop().then(
        () => {
          logger.info({ bridge: config.bridge }, 'stopped');
          logger.flush();
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, 'stop failed');
          resolve(1);
        },
      );
    };
    // Listening for the whole drain (see onStopSignal); a repeated signal does not cut it short.
    onStopSignal(shutdown, (signal) => logger.warn({ signal, bridge: config.bridge }, 'already draining'));
  });
}

import { configFromArgs } from './agent-config-args.js';
import { createLogger } from '../observe/logger.js';
import { Agent } from '../agent/agent.js';
import { onStopSignal } from './signals.js';

const USAGE = `Usage: nsvswitch run [--config FILE] [flags]

Runs the agent: watches namespace directories, matches namespaces to tenant
manifests, plugs each into the OVS bridge with a veth pair, and programs
OpenFlow isolation. Logs are JSON lines on stdout (readable at a terminal).
SIGTERM/SIGINT drain and exit 0, leaving ports and flows in place.

Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad flags or config.
`;

/** Runs until SIGTERM/SIGINT; exit code 0 on a clean drain. */
export default async function run(argv: string[]): Promise<number> {
  const args = await configFromArgs('run', USAGE, argv);
  if ('exit' in args) return args.exit;
  if (args.rest.length > 0) {
    process.stderr.write(`nsvswitch run: unexpected argument '${args.rest[0]}'\n`);
    return 2;
  }
  const { config } = args;
  const logger = createLogger({ level: config.logLevel });
  let agent: Agent;
  try {
    agent = await Agent.start(config, { logger });
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err), ovsdb: config.ovsdb, bridge: config.bridge }, 'agent failed to start');
    await new Promise((r) => setTimeout(r, 50));
    return 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal, bridge: config.bridge }, 'draining: ports and flows stay in place');
      agent.stop().then(
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

import { chmod, cp, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { Agent } from '../agent/agent.js';
import { DEFAULT_CONFIG } from '../config/index.js';
import type { AgentConfig } from '../config/types.js';
import { run } from '../exec/run.js';
import { createLogger } from '../observe/logger.js';
import type { StatusReport } from '../observe/status-types.js';
import { OvsSandbox } from '../sandbox/ovs-sandbox.js';
import { PrivateNetnsDir } from '../sandbox/private-netns-dir.js';
import { onStopSignal } from './signals.js';

const USAGE = `Usage: nsvswitch demo [--once] [--log-level LEVEL]

Starts a private userspace Open vSwitch (ovsdb-server + ovs-vswitchd, netdev
datapath) inside a private network namespace, loads the example tenants
shipped in deploy/examples/tenants, creates a few namespaces, and runs the
agent on it: it prints the ports it made and checks isolation with real pings.
Nothing on the machine's own network is touched; everything is removed on exit.

  --once             exit after the checks (exit 0 if every check passed, 1 otherwise)
  --log-level LEVEL  agent log level (default warn)
  -h, --help         show this help
`;

/** Namespaces the demo creates: two tenants with a gateway, one without, one of another file. */
export const DEMO_NAMESPACES = ['blue-1', 'blue-2', 'blue-db', 'green-1', 'green-2', 'red-1', 'red-2', 'batch-1'];

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'examples', 'tenants');

interface Check {
  readonly from: string;
  readonly to: string;
  readonly expect: 'allowed' | 'blocked';
}

function table(status: StatusReport): string {
  const rows = [['NAMESPACE', 'TENANT', 'STATE', 'ADDRESS', 'PORT', 'OFPORT']];
  for (const n of status.namespaces) rows.push([n.name, n.tenant ?? '-', n.state, n.ip ?? '-', n.port ?? '-', n.ofport !== undefined ? String(n.ofport) : '-']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

/**
 * For a "blocked" check, each end is made on-link for the other (a /32 route
 * out of the workload's interface) so packets and replies really reach the
 * switch: the verdict is then the switch's, not the routing table's.
 */
async function routeOnLink(nsPath: string, ip: string): Promise<void> {
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'], { netns: nsPath })).stdout) as { ifname: string }[];
  const dev = links.find((l) => l.ifname !== 'lo')?.ifname;
  if (dev) await run('ip', ['route', 'replace', `${ip}/32`, 'dev', dev], { netns: nsPath });
}

async function ping(nsPath: string, ip: string): Promise<boolean> {
  const r = await run('ping', ['-c', '1', '-W', '1', ip], { netns: nsPath, okExitCodes: [1, 2] });
  return r.exitCode === 0;
}

export default async function demo(argv: string[]): Promise<number> {
  let once = false;
  let level: AgentConfig['logLevel'] = 'warn';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a === '--once') once = true;
    else if (a === '--log-level' && argv[i + 1]) level = argv[++i] as AgentConfig['logLevel'];
    else {
      process.stderr.write(`nsvswitch demo: unknown argument '${a}'\n\n${USAGE}`);
      return 2;
    }
  }
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out('nsvswitch demo: starting a private userspace OVS ...');
  const sb = await OvsSandbox.start({ label: 'demo', baseDir: process.env.NSVS_TEST_ROOT ?? tmpdir() });
  let agent: Agent | undefined;
  let workloads: PrivateNetnsDir | undefined;
  const cleanup = async (): Promise<void> => {
    await agent?.stop().catch(() => undefined);
    await workloads?.destroy().catch(() => undefined);
    await sb.stop();
  };
  try {
    workloads = await PrivateNetnsDir.create(join(sb.dir, 'workloads'));
    const manifestDir = join(sb.dir, 'tenants.d');
    await mkdir(manifestDir);
    await cp(EXAMPLES, manifestDir, { recursive: true });
    // Manifests writable by group or others are refused (manifestStrictModes): whatever the umask and
    // the checkout's modes, the demo's copies are the agent's alone.
    await chmod(manifestDir, 0o755);
    for (const f of await readdir(manifestDir)) await chmod(join(manifestDir, f), 0o644);
    const config: AgentConfig = {
      ...DEFAULT_CONFIG,
      ovsdb: sb.dbEndpoint,
      ovsRundir: sb.dir,
      datapathType: 'netdev',
      manifestDir,
      namespaceDirs: [workloads.dir],
      hostNetns: sb.hostNetns,
      metricsListen: '127.0.0.1:0',
      logLevel: level,
    };
    out(`  ovsdb       ${sb.dbEndpoint}`);
    out(`  tenants     ${manifestDir} (copied from deploy/examples/tenants)`);
    out(`  namespaces  ${workloads.dir}`);
    agent = await Agent.start(config, { logger: createLogger({ level, fd: 2 }), ovsEnv: sb.env });
    await agent.ready;
    out(`agent ready on bridge ${config.bridge}; creating ${DEMO_NAMESPACES.length} namespaces: ${DEMO_NAMESPACES.join(', ')}`);
    const t0 = performance.now();
    await workloads.add(...DEMO_NAMESPACES);
    const deadline = Date.now() + 30_000;
    let status = agent.status();
    while (Date.now() < deadline) {
      status = agent.status();
      if (status.namespaces.length === DEMO_NAMESPACES.length && status.namespaces.every((n) => n.state !== 'pending')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    out(`plugged in ${Math.round(performance.now() - t0)} ms (including namespace creation):\n`);
    out(table(status));
    const ipOf = (name: string): string | undefined => status.namespaces.find((n) => n.name === name)?.ip?.split('/')[0];
    const checks: Check[] = [
      { from: 'blue-1', to: 'blue-2', expect: 'allowed' },
      { from: 'green-1', to: 'green-2', expect: 'allowed' },
      { from: 'blue-1', to: 'green-1', expect: 'blocked' },
      { from: 'red-1', to: 'blue-db', expect: 'blocked' },
    ];
    out('\nisolation checks (real pings through the switch; for blocked pairs both ends are made on-link first):');
    let failed = 0;
    for (const c of checks) {
      const ip = ipOf(c.to);
      const back = ipOf(c.from);
      if (ip !== undefined && back !== undefined && c.expect === 'blocked') {
        // Both ways: without a route back, the reply would fail for routing, not for the switch.
        await routeOnLink(workloads.path(c.from), ip);
        await routeOnLink(workloads.path(c.to), back);
      }
      const ok = ip !== undefined && (await ping(workloads.path(c.from), ip));
      const got = ok ? 'allowed' : 'blocked';
      if (got !== c.expect) failed++;
      out(`  ${c.from.padEnd(8)} -> ${c.to.padEnd(8)} ${String(ip ?? '?').padEnd(11)} ${got.padEnd(8)} ${got === c.expect ? 'as expected' : `UNEXPECTED (want ${c.expect})`}`);
    }
    const notReady = status.namespaces.filter((n) => n.state !== 'ready');
    if (notReady.length > 0) failed++;
    if (once) {
      out(failed === 0 ? '\nall checks passed' : `\n${failed} check(s) failed`);
      return failed === 0 ? 0 : 1;
    }
    out(`\nThe agent keeps running. Try, in another terminal:\n  nsenter --net=${workloads.path('blue-1')} ping ${ipOf('blue-2') ?? ''}\n  unshare --net=${workloads.path('blue-3')} true   # a new namespace is plugged at once\nCtrl-C stops the demo and removes everything.`);
    // Kept listening through the cleanup: a second Ctrl-C must not kill it halfway (see onStopSignal).
    await new Promise<void>((resolve) => onStopSignal(() => resolve(), () => out('nsvswitch demo: already cleaning up')));
    return 0;
  } finally {
    out('nsvswitch demo: cleaning up');
    await cleanup();
  }
}

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import type { NamespaceStatus } from '../../../src/observe/status-types.js';
import { AgentEnv, BRIDGE, eventually } from '../../helpers/agent-env.js';
import { DOCKER_CLI, DockerEnv, dockerAvailable } from '../../helpers/docker-env.js';
import { tenantManifests } from '../../helpers/runtime-agent.js';
import { describeTraffic, trafficMatrix, trafficProblems } from '../../helpers/traffic.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BUILD = join(ROOT, 'deploy', 'container', 'build.sh');
const IMAGE = 'nsvswitch:test';
/** The agent listens on the loopback of the host namespace it shares (fresh and private here). */
const METRICS_PORT = 19476;
/** Where the documented `docker run` mounts things inside the agent container. */
const IN = { ovsRun: '/var/run/openvswitch', dockerSock: '/run/docker.sock', config: '/etc/nsvswitch/config.yaml', tenants: '/etc/nsvswitch/tenants.d' };

const MANIFEST = tenantManifests({ blue: { id: 100, subnet: '10.10.0.0/24', workloads: [{ runtime: 'docker', matchLabels: { tenant: 'blue' } }] } });

/** A GET from inside the host namespace (where the containerised agent listens), by a short-lived node. */
async function httpGet(netns: string, url: string): Promise<{ status: number; body: string } | undefined> {
  const script = 'fetch(process.argv[1]).then(async (r) => process.stdout.write(r.status + "\\n" + (await r.text()))).catch(() => process.exit(1))';
  const r = await run(process.execPath, ['-e', script, url], { netns, okExitCodes: [1] });
  if (r.exitCode !== 0) return undefined;
  const nl = r.stdout.indexOf('\n');
  return { status: Number(r.stdout.slice(0, nl)), body: r.stdout.slice(nl + 1) };
}

describe.skipIf(process.env.NSVS_SKIP_DOCKER === '1')('the agent image (deploy/container) run on a real dockerd', () => {
  it('has a Docker engine and busybox-static', () => {
    expect(dockerAvailable(), 'install docker.io and busybox-static (scripts/bootstrap.sh --test does)').toBe(true);
  });

  let env: AgentEnv;
  let docker: DockerEnv;

  beforeAll(async () => {
    env = await AgentEnv.start('ctr');
    try {
      // Outside the OVS dir: the agent container mounts that dir, and must not hold Docker's own mounts.
      const dockerDir = await mkdtemp(join(tmpdir(), 'nsvs-ctr-docker-'));
      docker = await DockerEnv.start(dockerDir, env.sb.hostNetns, { sharedNetnsDir: true });
      // deploy/container/build.sh, as an operator runs it, against this engine.
      const built = await run('bash', [BUILD, '--tag', IMAGE, '--base-tag', 'nsvswitch-base:test'], {
        env: { DOCKER: DOCKER_CLI, DOCKER_HOST: `unix://${docker.socket}`, DOCKER_CONFIG: join(docker.dir, 'cli') },
        timeoutMs: 300_000,
      });
      expect(built.stdout).toContain(`image ${IMAGE} (nsvswitch `);
    } catch (err) {
      await docker?.stop().catch(() => undefined);
      await env.stop();
      throw err;
    }
  }, 360_000);

  afterAll(async () => {
    if (process.env.NSVS_SHOW_LOG) {
      const logs = await docker?.cli(['logs', 'nsvswitch'], [1]).catch(() => undefined);
      console.log(logs?.stdout, logs?.stderr);
    }
    await docker?.stop().finally(() => env?.stop());
  });

  it('runs the agent as the docs say and plugs labelled containers into their tenant (TCP and UDP)', async () => {
    await env.writeManifest('blue.yaml', MANIFEST);
    const etc = join(env.sb.dir, 'agent-etc');
    await mkdir(etc, { recursive: true });
    await writeFile(join(etc, 'config.yaml'), [
      `ovsdb: unix:${IN.ovsRun}/db.sock`,
      `ovsRundir: ${IN.ovsRun}`,
      `bridge: ${BRIDGE}`,
      'datapathType: netdev',
      `manifestDir: ${IN.tenants}`,
      `namespaceDirs: [${docker.netnsDir}]`,
      `dockerSocket: ${IN.dockerSock}`,
      `dockerNetnsDir: ${docker.netnsDir}`,
      `metricsListen: 127.0.0.1:${METRICS_PORT}`,
      'logLevel: info',
      '',
    ].join('\n'));
    // docs/operations.md, "Running in a container": host network, two capabilities, a writable /proc/sys
    // (the agent sets sysctls of the host veth ends; Docker mounts it read-only otherwise), read-only root,
    // the OVS run dir, the namespace dir (rslave: namespaces made later appear) at the same path, the Docker socket.
    await docker.cli([
      'run', '-d', '--name', 'nsvswitch', '--network', 'host',
      '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_ADMIN', '--security-opt', 'systempaths=unconfined',
      '--read-only', '--tmpfs', '/tmp',
      '-v', `${env.sb.dir}:${IN.ovsRun}`,
      '-v', `${docker.netnsDir}:${docker.netnsDir}:rslave`,
      '-v', `${docker.socket}:${IN.dockerSock}`,
      '-v', `${join(etc, 'config.yaml')}:${IN.config}:ro`,
      '-v', `${env.manifestDir}:${IN.tenants}:ro`,
      IMAGE,
    ]);
    const url = `http://127.0.0.1:${METRICS_PORT}`;
    await eventually('containerised agent ready', async () => {
      const state = (await docker.inspect('nsvswitch')).state;
      if (state !== 'running') throw new Error(`agent container ${state}: ${(await docker.cli(['logs', '--tail', '20', 'nsvswitch'], [1])).stderr}`);
      return (await httpGet(env.sb.hostNetns, `${url}/readyz`))?.status === 200;
    }, 60_000, 250);

    await Promise.all([
      docker.runContainer('web1', { labels: { tenant: 'blue' } }),
      docker.runContainer('web2', { labels: { tenant: 'blue' } }),
      docker.runContainer('plain', {}),
    ]);
    const ready = await eventually('web1 and web2 ready', async () => {
      const st = JSON.parse((await httpGet(env.sb.hostNetns, `${url}/status`))?.body ?? '{}') as { namespaces?: NamespaceStatus[] };
      const ns = (st.namespaces ?? []).filter((n) => n.state === 'ready' && n.workload?.runtime === 'docker');
      return ns.length === 2 ? ns : undefined;
    }, 30_000, 100);
    expect(ready.map((n) => n.workload!.name).sort()).toEqual(['web1', 'web2']);
    expect(ready.every((n) => n.tenant === 'blue')).toBe(true);
    // The records the containerised agent wrote, as the host's ovs-vsctl sees them.
    const rows = await env.ownedInterfaces();
    expect(rows.map((r) => r.ids['nsvswitch-workload']).sort()).toEqual(['web1', 'web2']);
    expect(rows.every((r) => r.ids['nsvswitch-installed'] === 'true' && r.ofport > 0)).toBe(true);

    const net1 = async (name: string): Promise<string> => {
      const j = JSON.parse((await docker.inNetns(name, 'ip', ['-j', 'addr', 'show', 'dev', 'net1'])).stdout) as { addr_info: { family: string; local: string }[] }[];
      return j[0]!.addr_info.find((a) => a.family === 'inet')!.local;
    };
    const [ip1, ip2] = [await net1('web1'), await net1('web2')];
    expect(ip1).toMatch(/^10\.10\.0\.\d+$/);
    const key = async (n: string) => (await docker.inspect(n)).sandboxKey;
    const results = await trafficMatrix([
      { from: await key('web1'), to: await key('web2'), ip: ip2, label: 'web1 -> web2' },
      { from: await key('web2'), to: await key('web1'), ip: ip1, label: 'web2 -> web1' },
    ]);
    expect(trafficProblems(results, () => true), results.map(describeTraffic).join('\n')).toEqual([]);
    // Docker's own networking is untouched: the unlabelled container has only its eth0.
    const plain = JSON.parse((await docker.inNetns('plain', 'ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[];
    expect(plain.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);

    // docker rm: the containerised agent unplugs too (Docker's events reach it through the mounted socket).
    await docker.cli(['rm', '-f', 'web2']);
    await eventually('web2 unplugged', async () => (await env.ownedInterfaces()).every((r) => r.ids['nsvswitch-workload'] !== 'web2'), 10_000);
  });
});

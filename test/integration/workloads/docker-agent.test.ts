import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamespaceStatus } from '../../../src/observe/status-types.js';
import { eventually, tenantYaml } from '../../helpers/agent-env.js';
import { DockerEnv, dockerAvailable } from '../../helpers/docker-env.js';
import { AbsentRuntime, RuntimeAgentRig, tenantManifests } from '../../helpers/runtime-agent.js';
import { describeTraffic, traffic, trafficMatrix, trafficProblems } from '../../helpers/traffic.js';
import { inetAddr, type Link } from '../../helpers/workload-agent.js';

const MANIFEST = tenantManifests({
  blue: {
    id: 100,
    subnet: '10.10.0.0/24',
    gateway: '10.10.0.1',
    workloads: [{ runtime: 'docker', matchLabels: { tenant: 'blue' } }],
    staticAddresses: { 'blue-none': '10.10.0.50' },
  },
  red: { id: 200, subnet: '10.20.0.0/24', workloads: [{ matchExpressions: [{ key: 'tenant', operator: 'In', values: ['red'] }], names: ['red-*'] }] },
});

// The suite's bootstrap installs docker.io and busybox-static: a missing engine is a failure, not a skip,
// unless someone running the tests by hand opts out explicitly.
describe.skipIf(process.env.NSVS_SKIP_DOCKER === '1')('Docker containers as workloads (real dockerd)', () => {
  it('has a Docker engine and busybox-static to build its image from', () => {
    expect(dockerAvailable(), 'install docker.io and busybox-static (scripts/bootstrap.sh --test does)').toBe(true);
  });

  let t: RuntimeAgentRig<DockerEnv>;
  let docker: DockerEnv;

  async function links(name: string): Promise<Link[]> {
    return JSON.parse((await docker.inNetns(name, 'ip', ['-j', 'addr', 'show'])).stdout) as Link[];
  }

  async function addrOf(name: string, ifName: string): Promise<string | undefined> {
    return inetAddr(await links(name), ifName);
  }

  const ip = (cidr: string): string => cidr.split('/')[0]!;

  /** True when any of three pings from inside a container's namespace is answered. */
  async function ping(from: string, to: string): Promise<boolean> {
    return (await docker.inNetns(from, 'ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', to], [1, 2])).exitCode === 0;
  }

  async function containerStatus(name: string): Promise<NamespaceStatus | undefined> {
    return t.workload(name);
  }

  beforeAll(async () => {
    // The agent runs first: containers start under it (the race the issue saw: 3 of 3 bridge containers failed).
    t = await RuntimeAgentRig.start({
      label: 'docker', manifest: MANIFEST,
      runtime: (env) => DockerEnv.start(join(env.sb.dir, 'dk'), env.sb.hostNetns, { liveRestore: true }),
      config: (dk) => ({ dockerSocket: dk.socket, dockerNetnsDir: dk.netnsDir }),
    });
    docker = t.runtime;
  });

  afterAll(async () => t?.stop());

  it('plugs containers into the tenants their labels choose, without breaking Docker\'s own networking', async () => {
    const t0 = Date.now();
    await Promise.all([
      docker.runContainer('blue-none', { labels: { tenant: 'blue' }, network: 'none' }),
      docker.runContainer('blue-web', { labels: { tenant: 'blue' } }),
      docker.runContainer('red-web', { labels: { tenant: 'red' } }),
      docker.runContainer('plain', {}),
    ]);
    const started = Date.now();
    await eventually('3 container ports ready', async () => {
      const ready = t.agent.status().namespaces.filter((n) => n.state === 'ready' && n.workload);
      return ready.length === 3;
    });
    const readyAt = Date.now();
    console.log(`docker run x4 in parallel: ${started - t0} ms; all returned → 3 ports ready: ${readyAt - started} ms`);

    // Every container runs (Docker finished its own setup; nothing of ours collided with it).
    for (const n of ['blue-none', 'blue-web', 'red-web', 'plain']) expect((await docker.inspect(n)).state).toBe('running');

    // --network none: the tenant interface is eth0, with the gateway's default route and the static address.
    expect(await addrOf('blue-none', 'eth0')).toBe('10.10.0.50/24');
    expect((await docker.inNetns('blue-none', 'ip', ['route', 'show', 'default'])).stdout).toContain('default via 10.10.0.1 dev eth0');
    // Docker-networked: Docker's eth0 and default route untouched, ours is net1 with the tenant subnet only.
    const blueWebDocker = await addrOf('blue-web', 'eth0');
    expect(blueWebDocker).toMatch(/^172\.31\.250\.\d+\/24$/);
    const blueWeb = (await addrOf('blue-web', 'net1'))!;
    expect(blueWeb).toMatch(/^10\.10\.0\.\d+\/24$/);
    const routes = (await docker.inNetns('blue-web', 'ip', ['route', 'show'])).stdout;
    expect(routes).toContain('default via 172.31.250.1 dev eth0');
    expect(routes).not.toMatch(/default .* dev net1/);
    const redWeb = (await addrOf('red-web', 'net1'))!;
    expect(redWeb).toMatch(/^10\.20\.0\.\d+\/24$/);
    // Unlabelled: untouched.
    expect((await links('plain')).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
    expect((await containerStatus('plain'))?.state).toBe('unmatched');

    // Status and metrics name the runtime, the container and its id.
    const st = (await containerStatus('blue-web'))!;
    expect(st).toMatchObject({ tenant: 'blue', state: 'ready', workload: { runtime: 'docker', name: 'blue-web', state: 'running', secondary: true } });
    expect(st.workload!.id).toBe((await docker.inspect('blue-web')).id);
    // The port records name the container too (ovs-docker's container_id key), so tools and trace find it by name.
    await t.expectNamed({ runtime: 'docker', name: 'blue-web', tenant: 'blue', ids: { container_id: st.workload!.id, 'nsvswitch-ifname': 'net1' }, peer: 'blue-none', stranger: 'red-web' });

    const ns = async (n: string) => (await docker.inspect(n)).sandboxKey;
    // Same tenant: TCP and UDP both ways, bytes checked at the far end (none ↔ bridge container over the tenant).
    const same = await trafficMatrix([
      { from: await ns('blue-web'), to: await ns('blue-none'), ip: '10.10.0.50', label: 'blue-web -> blue-none' },
      { from: await ns('blue-none'), to: await ns('blue-web'), ip: ip(blueWeb), label: 'blue-none -> blue-web' },
    ]);
    expect(trafficProblems(same, () => true), same.map(describeTraffic).join('\n')).toEqual([]);
    // And ping, both ways (ICMP and ARP through the tenant's flows).
    expect(await ping('blue-web', '10.10.0.50')).toBe(true);
    expect(await ping('blue-none', ip(blueWeb))).toBe(true);
    // Docker's own network still carries traffic (blue-web's eth0 to plain's eth0 over Docker's bridge).
    const plainDocker = ip((await addrOf('plain', 'eth0'))!);
    const viaDocker = await traffic(await ns('blue-web'), await ns('plain'), plainDocker, { label: 'blue-web -> plain over docker0' });
    expect(trafficProblems([viaDocker], () => true)).toEqual([]);

    // Across tenants: on-link routes both ways over the tenant interfaces; the switch must drop everything.
    await docker.inNetns('blue-web', 'ip', ['route', 'replace', `${ip(redWeb)}/32`, 'dev', 'net1']);
    await docker.inNetns('red-web', 'ip', ['route', 'replace', `${ip(blueWeb)}/32`, 'dev', 'net1']);
    const cross = await trafficMatrix([
      { from: await ns('blue-web'), to: await ns('red-web'), ip: ip(redWeb), label: 'blue-web -> red-web' },
      { from: await ns('red-web'), to: await ns('blue-web'), ip: ip(blueWeb), label: 'red-web -> blue-web' },
    ]);
    expect(trafficProblems(cross, () => false)).toEqual([]);
    expect(await ping('blue-web', ip(redWeb))).toBe(false);
    expect(await ping('red-web', ip(blueWeb))).toBe(false);
  });

  it('docker rm unplugs within 1 s, as routine churn (no reconcile error)', async () => {
    await t.expectUnplugWithin1s({
      name: 'red-web',
      since: 'docker rm -f started',
      remove: async () => {
        const t0 = Date.now();
        await docker.cli(['rm', '-f', 'red-web']);
        return t0;
      },
    });
  });

  it('docker restart replugs into the same tenant (a new sandbox)', async () => {
    const before = await docker.inspect('blue-web');
    const addrBefore = await addrOf('blue-web', 'net1');
    const macBefore = (await t.row('blue-web'))!.ids['nsvswitch-mac'];
    await docker.cli(['restart', '-t', '0', 'blue-web']);
    const after = await docker.inspect('blue-web');
    expect(after.sandboxKey).not.toBe(before.sandboxKey);
    await eventually('blue-web ready again', async () => {
      const s = await containerStatus('blue-web');
      return s?.state === 'ready' && s.path === after.sandboxKey;
    });
    // Same address and MAC as before the restart: the neighbours' ARP caches stay right.
    expect(await addrOf('blue-web', 'net1')).toBe(addrBefore);
    expect((await t.row('blue-web'))!.ids['nsvswitch-mac']).toBe(macBefore);
    expect(await t.tenantNetns('blue')).toEqual([after.sandboxKey, (await docker.inspect('blue-none')).sandboxKey].sort());
    const r = await traffic(after.sandboxKey, (await docker.inspect('blue-none')).sandboxKey, '10.10.0.50');
    expect(trafficProblems([r], () => true)).toEqual([]);
  });

  it('an agent restart adopts every container port with zero writes', async () => {
    expect(await t.restartAdopting()).toEqual(['blue-none', 'blue-web']);
  });

  it('dockerd restarted under the agent: ports kept while it is down, /status says so, resync after', async () => {
    await t.runtimeRestartKeepsPorts('docker', async () => {
      // Containers live on (live-restore): their ports stay and carry traffic.
      const key = async (n: string) => (await containerStatus(n))!.path;
      const r = await traffic(await key('blue-web'), await key('blue-none'), '10.10.0.50');
      expect(trafficProblems([r], () => true)).toEqual([]);
    });
    // A container started after the restart is plugged.
    await docker.runContainer('blue-late', { labels: { tenant: 'blue' }, network: 'none' });
    await eventually('blue-late ready', async () => (await containerStatus('blue-late'))?.state === 'ready');
    expect(await addrOf('blue-late', 'eth0')).toMatch(/^10\.10\.0\.\d+\/24$/);
    // Routine container churn warned about nothing: the only warnings are Docker going away and the gateway turning forwarding on.
    t.expectOnlyWarnings(/IPv4 forwarding was off|docker API unreachable/);
  });
});

describe('Docker configured but unreachable (no engine on the socket)', () => {
  let t: AbsentRuntime;
  beforeAll(async () => {
    t = await AbsentRuntime.start('docker-down', 'dnetns');
  });
  afterAll(async () => t?.stop());

  it('keeps running: plain namespaces are plugged, Docker\'s namespaces wait for metadata, /status says Docker is down', async () => {
    const { env, dir: dockerDir } = t;
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*', `${dockerDir.dir}/*`], '  workloads:\n    - matchLabels: { tenant: blue }\n'));
    await env.workloads.add('blue-1');
    await dockerDir.add('0a1b2c3d4e5f');
    const agent = await t.startAgent({ dockerSocket: join(env.sb.dir, 'no-docker.sock'), dockerNetnsDir: dockerDir.dir });
    await eventually('blue-1 ready', async () => agent.status().namespaces.find((n) => n.name === 'blue-1')?.state === 'ready');
    // A glob matches the file in Docker's directory, but Docker has not said whose it is: never plugged before it does.
    t.expectDown({ runtime: 'docker', waiting: '0a1b2c3d4e5f', error: /ENOENT|ECONNREFUSED/ });
    expect((await env.ownedInterfaces()).map((i) => i.ids['nsvswitch-netns'])).toEqual([env.workloads.path('blue-1')]);
  });
});

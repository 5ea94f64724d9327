import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/exec/run.js';
import { eventually, tenantYaml } from '../../helpers/agent-env.js';
import { CriEnv, criAvailable, type Pod } from '../../helpers/cri-env.js';
import { AbsentRuntime, RuntimeAgentRig, tenantManifests } from '../../helpers/runtime-agent.js';
import { describeTraffic, traffic, trafficMatrix, trafficProblems } from '../../helpers/traffic.js';
import { inetAddr, type Link } from '../../helpers/workload-agent.js';

// blue: every pod of Kubernetes namespace team-a. red and green: pods of team-b, by label. green also
// takes team-c pods that ask for it by the networks annotation. team-c pods that do not ask: untouched.
const MANIFEST = tenantManifests({
  blue: { id: 100, subnet: '10.10.0.0/24', workloads: [{ runtime: 'cri', k8sNamespaces: ['team-a'] }] },
  red: { id: 200, subnet: '10.20.0.0/24', workloads: [{ k8sNamespaces: ['team-b'], matchLabels: { tenant: 'red' } }] },
  green: {
    id: 300,
    subnet: '10.30.0.0/24',
    interface: { secondaryName: 'tnt0' },
    workloads: [{ k8sNamespaces: ['team-b'], matchLabels: { tenant: 'green' } }, { k8sNamespaces: ['team-c'], networkAnnotation: true }],
    staticAddresses: { 'team-b/db': '10.30.0.50' },
  },
});

describe.skipIf(process.env.NSVS_SKIP_CRI === '1')('Kubernetes pods as workloads (real containerd CRI)', () => {
  it('has containerd, the CNI plugins and busybox-static', () => {
    expect(criAvailable(), 'install containerd, containernetworking-plugins and busybox-static (scripts/bootstrap.sh --test does)').toBe(true);
  });

  let t: RuntimeAgentRig<CriEnv>;
  const pods = new Map<string, Pod>();

  const pod = (key: string): Pod => {
    const p = pods.get(key);
    if (!p) throw new Error(`no pod ${key}`);
    return p;
  };

  async function links(key: string): Promise<Link[]> {
    return JSON.parse((await run('ip', ['-j', 'addr', 'show'], { netns: pod(key).netns })).stdout) as Link[];
  }

  async function addrOf(key: string, ifName: string): Promise<string | undefined> {
    return inetAddr(await links(key), ifName);
  }

  const ip = (cidr: string): string => cidr.split('/')[0]!;

  async function runPod(namespace: string, name: string, o: Parameters<CriEnv['runPod']>[2] = {}): Promise<Pod> {
    const p = await t.runtime.runPod(namespace, name, o);
    pods.set(`${namespace}/${name}`, p);
    return p;
  }

  beforeAll(async () => {
    t = await RuntimeAgentRig.start({
      label: 'cri', manifest: MANIFEST,
      runtime: (env) => CriEnv.start(join(env.sb.dir, 'cri'), env.sb.hostNetns),
      config: (cri) => ({ criSocket: cri.socket, criNetnsDir: cri.netnsDir }),
    });
  });

  afterAll(async () => t?.stop());

  it('plugs pods into the tenants their namespace, labels or annotation choose, beside the cluster network', async () => {
    const t0 = Date.now();
    await Promise.all([
      runPod('team-a', 'web-1'),
      runPod('team-a', 'web-2', { labels: { app: 'web' } }),
      runPod('team-b', 'cache', { labels: { tenant: 'red' } }),
      runPod('team-b', 'db', { labels: { tenant: 'green' } }),
      runPod('team-b', 'app', { labels: { tenant: 'green' } }),
      runPod('team-c', 'picky', { annotations: { 'k8s.v1.cni.cncf.io/networks': 'green' } }),
      runPod('team-c', 'plain'),
    ]);
    const started = Date.now();
    await eventually('6 pod ports ready', async () => t.agent.status().namespaces.filter((n) => n.state === 'ready' && n.workload).length === 6);
    console.log(`RunPodSandbox x7 in parallel: ${started - t0} ms; all returned → 6 ports ready: ${Date.now() - started} ms`);

    // Secondary interfaces: net1 (tenant default) or the manifest's name; the static address by namespace/pod.
    const web1 = (await addrOf('team-a/web-1', 'net1'))!;
    const web2 = (await addrOf('team-a/web-2', 'net1'))!;
    const cache = (await addrOf('team-b/cache', 'net1'))!;
    expect(web1).toMatch(/^10\.10\.0\.\d+\/24$/);
    expect(web2).toMatch(/^10\.10\.0\.\d+\/24$/);
    expect(cache).toMatch(/^10\.20\.0\.\d+\/24$/);
    expect(await addrOf('team-b/db', 'tnt0')).toBe('10.30.0.50/24');
    const app = (await addrOf('team-b/app', 'tnt0'))!;
    const picky = (await addrOf('team-c/picky', 'tnt0'))!;
    expect(app).toMatch(/^10\.30\.0\.\d+\/24$/);
    expect(picky).toMatch(/^10\.30\.0\.\d+\/24$/);
    // Not selected: untouched.
    expect((await links('team-c/plain')).map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
    expect(t.workload('team-c/plain')?.state).toBe('unmatched');

    // The cluster network is untouched: eth0 from the CNI, the default route through it; ours has the tenant subnet only.
    for (const key of ['team-a/web-1', 'team-b/db']) {
      expect(await addrOf(key, 'eth0')).toMatch(/^172\.30\.240\.\d+\/24$/);
      const routes = (await run('ip', ['route', 'show'], { netns: pod(key).netns })).stdout;
      expect(routes).toMatch(/^default via 172\.30\.240\.1 dev eth0/m);
      expect(routes.split('\n').filter((l) => /dev (net1|tnt0)/.test(l))).toEqual([expect.stringMatching(/^10\.(10|30)\.0\.0\/24 dev (net1|tnt0) proto kernel scope link/)]);
    }

    // Status, metrics, records and trace name pods namespace/pod.
    const st = t.workload('team-a/web-1')!;
    expect(st).toMatchObject({ tenant: 'blue', state: 'ready', workload: { runtime: 'cri', name: 'team-a/web-1', id: pod('team-a/web-1').id, state: 'running', secondary: true } });
    await t.expectNamed({ runtime: 'cri', name: 'team-a/web-1', tenant: 'blue', ids: { 'nsvswitch-ifname': 'net1' }, peer: 'team-a/web-2', stranger: 'team-b/cache' });

    // Same tenant: ping, then TCP and UDP both ways over the tenant interface, bytes checked.
    const ns = (k: string): string => pod(k).netns;
    const ping = async (from: string, to: string): Promise<boolean> =>
      (await run('ping', ['-c', '1', '-W', '1', '-I', from.includes('team-a') || from.includes('cache') ? 'net1' : 'tnt0', to], { netns: ns(from), okExitCodes: [1, 2] })).exitCode === 0;
    expect(await ping('team-a/web-1', ip(web2))).toBe(true);
    expect(await ping('team-c/picky', '10.30.0.50')).toBe(true);
    const same = await trafficMatrix([
      { from: ns('team-a/web-1'), to: ns('team-a/web-2'), ip: ip(web2), label: 'web-1 -> web-2' },
      { from: ns('team-a/web-2'), to: ns('team-a/web-1'), ip: ip(web1), label: 'web-2 -> web-1' },
      { from: ns('team-c/picky'), to: ns('team-b/db'), ip: '10.30.0.50', label: 'picky -> db' },
      { from: ns('team-b/app'), to: ns('team-c/picky'), ip: ip(picky), label: 'app -> picky' },
    ]);
    expect(trafficProblems(same, () => true), same.map(describeTraffic).join('\n')).toEqual([]);
    // The cluster network still carries traffic (eth0 to eth0 through the node's routes).
    const plainPrimary = ip((await addrOf('team-c/plain', 'eth0'))!);
    const primary = await traffic(ns('team-a/web-1'), ns('team-c/plain'), plainPrimary, { label: 'web-1 -> plain over the cluster network' });
    expect(trafficProblems([primary], () => true)).toEqual([]);

    // Across tenants: on-link routes both ways over the tenant interfaces; the switch drops everything.
    await run('ip', ['route', 'replace', `${ip(cache)}/32`, 'dev', 'net1'], { netns: ns('team-a/web-1') });
    await run('ip', ['route', 'replace', `${ip(web1)}/32`, 'dev', 'net1'], { netns: ns('team-b/cache') });
    const cross = await trafficMatrix([
      { from: ns('team-a/web-1'), to: ns('team-b/cache'), ip: ip(cache), label: 'web-1 -> cache' },
      { from: ns('team-b/cache'), to: ns('team-a/web-1'), ip: ip(web1), label: 'cache -> web-1' },
    ]);
    expect(trafficProblems(cross, () => false)).toEqual([]);
    expect(await ping('team-a/web-1', ip(cache))).toBe(false);
    expect(await ping('team-b/cache', ip(web1))).toBe(false);
  });

  it('a stopped pod sandbox is unplugged within 1 s, as routine churn', async () => {
    await t.expectUnplugWithin1s({
      name: 'team-b/cache',
      since: 'StopPodSandbox returned',
      remove: async () => {
        await t.runtime.api.stopPodSandbox(pod('team-b/cache').id);
        // Measured from the stop call returning (what the kubelet sees as done); removal follows.
        return Date.now();
      },
      after: async () => {
        await t.runtime.api.removePodSandbox(pod('team-b/cache').id);
        expect(t.workload('team-b/cache')).toBeUndefined();
      },
    });
  });

  it('a pod given a new sandbox (as the kubelet restarts it) is replugged with its address and MAC', async () => {
    const before = pod('team-a/web-2');
    const addrBefore = await addrOf('team-a/web-2', 'net1');
    const macBefore = (await t.row('team-a/web-2'))!.ids['nsvswitch-mac'];
    // The kubelet's order: stop the old sandbox, run a new one (same pod uid, next attempt), remove the old one later.
    await t.runtime.api.stopPodSandbox(before.id);
    const after = await runPod('team-a', 'web-2', { labels: { app: 'web' }, attempt: 1, uid: before.uid });
    expect(after.netns).not.toBe(before.netns);
    await eventually('web-2 ready again', async () => {
      const s = t.workload('team-a/web-2');
      return s?.state === 'ready' && s.workload?.id === after.id;
    });
    await t.runtime.api.removePodSandbox(before.id);
    // Same address and MAC as before: the neighbours' ARP caches stay right.
    expect(await addrOf('team-a/web-2', 'net1')).toBe(addrBefore);
    expect((await t.row('team-a/web-2'))!.ids['nsvswitch-mac']).toBe(macBefore);
    expect(await t.tenantNetns('blue')).toEqual([after.netns, pod('team-a/web-1').netns].sort());
    const r = await trafficMatrix([
      { from: after.netns, to: pod('team-a/web-1').netns, ip: ip((await addrOf('team-a/web-1', 'net1'))!) },
      { from: pod('team-a/web-1').netns, to: after.netns, ip: ip(addrBefore!) },
    ]);
    expect(trafficProblems(r, () => true), r.map(describeTraffic).join('\n')).toEqual([]);
  });

  it('an agent restart adopts every pod port with zero writes', async () => {
    expect(await t.restartAdopting()).toEqual(['team-a/web-1', 'team-a/web-2', 'team-b/app', 'team-b/db', 'team-c/picky']);
  });

  it('containerd restarted under the agent: ports kept while it is down, /status says so, resync after', async () => {
    await t.runtimeRestartKeepsPorts('the CRI', async () => {
      // Pod sandboxes live on without containerd (their shims): their ports stay and carry traffic.
      const r = await traffic(pod('team-a/web-1').netns, pod('team-b/db').netns, '10.30.0.50', { connectTimeoutMs: 800 });
      expect(r.tcp.connected).toBe(false); // different tenants: still apart
      const same = await traffic(pod('team-c/picky').netns, pod('team-b/db').netns, '10.30.0.50');
      expect(trafficProblems([same], () => true)).toEqual([]);
    });
    await runPod('team-a', 'late');
    await eventually('late ready', async () => t.workload('team-a/late')?.state === 'ready');
    expect(await addrOf('team-a/late', 'net1')).toMatch(/^10\.10\.0\.\d+\/24$/);
    t.expectOnlyWarnings(/IPv4 forwarding was off|CRI runtime unreachable/);
  });
});

describe('CRI configured but unreachable (no runtime on the socket)', () => {
  let t: AbsentRuntime;
  beforeAll(async () => {
    t = await AbsentRuntime.start('cri-down', 'pnetns');
  });
  afterAll(async () => t?.stop());

  it('keeps running: plain namespaces are plugged, pod namespaces wait for metadata, /status says the CRI is down', async () => {
    const { env, dir: podDir } = t;
    await env.writeManifest('t.yaml', tenantYaml('blue', 100, '10.10.0.0/24', ['blue-*', `${podDir.dir}/*`], '  workloads:\n    - k8sNamespaces: [team-a]\n'));
    await env.workloads.add('blue-1');
    const podFile = 'cni-0a1b2c3d-0000-4000-8000-000000000001';
    // The runtime's directory is /run/netns, shared with `ip netns`: only the runtime's names wait.
    await podDir.add(podFile, 'blue-ipnetns');
    const agent = await t.startAgent({ criSocket: join(env.sb.dir, 'no-cri.sock'), criNetnsDir: podDir.dir });
    await eventually('blue-1 and blue-ipnetns ready', async () => ['blue-1', 'blue-ipnetns'].every((f) => agent.status().namespaces.find((n) => n.name === f)?.state === 'ready'));
    t.expectDown({ runtime: 'cri', waiting: podFile, error: /ENOENT|ECONNREFUSED|No connection|UNAVAILABLE|connect/i });
    expect((await env.ownedInterfaces()).map((i) => i.ids['nsvswitch-netns']).sort()).toEqual([env.workloads.path('blue-1'), podDir.path('blue-ipnetns')].sort());
  });
});

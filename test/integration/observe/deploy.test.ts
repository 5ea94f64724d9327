import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { run } from '../../../src/exec/run.js';
import { parseConfigText } from '../../../src/config/parse-config.js';
import { DEFAULT_CONFIG_FILE } from '../../../src/config/index.js';
import { parseManifestText } from '../../../src/manifests/index.js';
import { parseListen } from '../../../src/observe/http-server.js';

const ROOT = join(import.meta.dirname, '../../..');
const UNIT = join(ROOT, 'deploy/systemd/nsvswitch.service');
const DAEMONSET = join(ROOT, 'deploy/kubernetes/daemonset.yaml');
const CONTAINERFILE = join(ROOT, 'deploy/container/Containerfile');
const IMAGE_BUILD = join(ROOT, 'deploy/container/build.sh');
/**
 * Programs the agent spawns at run time (ip via IpPlumbing, nsenter for namespaces, ovs-ofctl for
 * flows, setpriv for the flow monitor, nft for the host seal, ethtool and sysctl without the addon).
 */
const RUNTIME_PROGRAMS = ['ip', 'nsenter', 'ovs-ofctl', 'setpriv', 'nft', 'ethtool', 'sysctl'];

/** `[Section] Key=Value` lines of a unit file (repeated keys collected). */
function unitKeys(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const i = line.indexOf('=');
    const key = `${section}.${line.slice(0, i)}`;
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1)]);
  }
  return out;
}

describe('deploy/systemd/nsvswitch.service', () => {
  let root: string;

  /**
   * `systemd-analyze verify` resolves ExecStart and every dependency, so it
   * runs against a private root: the system's unit tree, the unit under test
   * unchanged, and a stand-in /usr/bin/nsvswitch.
   */
  async function verify(unitText: string): Promise<{ code: number; output: string }> {
    await writeFile(join(root, 'etc/systemd/system/nsvswitch.service'), unitText);
    const res = await run('systemd-analyze', ['verify', `--root=${root}`, 'nsvswitch.service'], { okExitCodes: [1] });
    return { code: res.exitCode, output: `${res.stdout}${res.stderr}`.trim() };
  }

  beforeAll(async () => {
    const base = process.env.NSVS_TEST_ROOT ?? tmpdir();
    root = await mkdtemp(join(base, 'nsvs-unit-verify-'));
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await mkdir(join(root, 'etc/systemd/system'), { recursive: true });
    await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
    await cp(await realpath('/lib/systemd/system'), join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    await writeFile(join(root, 'usr/bin/nsvswitch'), '#!/bin/sh\n');
    await chmod(join(root, 'usr/bin/nsvswitch'), 0o755);
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('passes systemd-analyze verify without a single warning', async () => {
    const r = await verify(await readFile(UNIT, 'utf8'));
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });

  it('the verify harness does catch mistakes (unknown key, bad value)', async () => {
    const broken = (await readFile(UNIT, 'utf8')).replace('Restart=on-failure', 'Restart=sometimes\nRestartt=no');
    const r = await verify(broken);
    expect(r.output).toMatch(/Failed to parse service restart specifier/);
    expect(r.output).toMatch(/Unknown key 'Restartt'/);
  });

  it('runs after OVS, restarts on failure, with exactly CAP_NET_ADMIN and CAP_SYS_ADMIN', async () => {
    const k = unitKeys(await readFile(UNIT, 'utf8'));
    expect(k.get('Unit.Requires')).toEqual(['openvswitch-switch.service']);
    expect(k.get('Unit.After')?.[0]?.split(/\s+/)).toContain('openvswitch-switch.service');
    expect(k.get('Service.Restart')).toEqual(['on-failure']);
    expect(k.get('Service.ExecStart')).toEqual([`/usr/bin/nsvswitch run --config ${DEFAULT_CONFIG_FILE}`]);
    expect(k.get('Service.CapabilityBoundingSet')?.[0]?.split(/\s+/).sort()).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
    expect(k.get('Service.AmbientCapabilities')?.[0]?.split(/\s+/).sort()).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
    expect(k.get('Service.KillSignal')).toEqual(['SIGTERM']);
  });
});

describe('deploy/kubernetes/daemonset.yaml', () => {
  interface Container {
    args: string[];
    securityContext: { privileged?: boolean; capabilities?: { add: string[]; drop: string[] } };
    livenessProbe: { httpGet: { host: string; port: number; path: string } };
    readinessProbe: { httpGet: { host: string; port: number; path: string } };
    volumeMounts: { name: string; mountPath: string; mountPropagation?: string }[];
  }
  interface Doc {
    kind: string;
    metadata: { name: string };
    data?: Record<string, string>;
    spec?: { template: { spec: { hostNetwork: boolean; hostPID?: boolean; containers: Container[]; volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string } }[] } } };
  }
  let docs: Doc[];
  let pod: NonNullable<Doc['spec']>['template']['spec'];
  let container: Container;
  const byKind = (kind: string, name?: string): Doc => docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name))!;

  beforeAll(async () => {
    const all = parseAllDocuments(await readFile(DAEMONSET, 'utf8'));
    for (const d of all) expect(d.errors).toEqual([]);
    docs = all.map((d) => d.toJS() as Doc);
    pod = byKind('DaemonSet').spec!.template.spec;
    container = pod.containers[0]!;
  });

  it('uses the host network, no hostPID, and runs privileged (the agent writes /proc/sys, read-only otherwise)', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBe(false);
    expect(container.securityContext.privileged).toBe(true);
  });

  it('ships a config that nsvswitch accepts, at the path the container is started with', () => {
    const text = byKind('ConfigMap', 'nsvswitch-config').data!['config.yaml']!;
    const cfg = parseConfigText('config.yaml', text);
    const cfgMount = container.volumeMounts.find((m) => m.name === 'config')!.mountPath;
    expect(container.args).toEqual(['run', '--config', `${cfgMount}/config.yaml`]);
    // Manifests come from the tenants ConfigMap, mounted where the config looks.
    expect(container.volumeMounts.find((m) => m.name === 'tenants')!.mountPath).toBe(cfg.manifestDir);
    // Namespace dirs are mounted with HostToContainer, so namespaces created later appear.
    for (const dir of cfg.namespaceDirs!) {
      const m = container.volumeMounts.find((v) => v.mountPath === dir);
      expect(m?.mountPropagation, dir).toBe('HostToContainer');
      expect(pod.volumes.find((v) => v.name === m!.name)?.hostPath?.path).toBe(dir);
    }
    // The OVSDB socket and the bridges' mgmt sockets come from the host's OVS run dir.
    expect(cfg.ovsdb).toBe(`unix:${cfg.ovsRundir}/db.sock`);
    expect(container.volumeMounts.some((m) => m.mountPath === cfg.ovsRundir)).toBe(true);
    // Probes hit the agent where it listens (loopback works with hostNetwork).
    const { host, port } = parseListen(cfg.metricsListen!);
    expect(container.livenessProbe.httpGet).toEqual({ host, port, path: '/healthz' });
    expect(container.readinessProbe.httpGet).toEqual({ host, port, path: '/readyz' });
  });

  it('ships example tenant manifests that validate', () => {
    const data = byKind('ConfigMap', 'nsvswitch-tenants').data!;
    expect(Object.keys(data).length).toBeGreaterThan(0);
    for (const [file, text] of Object.entries(data)) {
      const r = parseManifestText(file, text);
      expect(r.problems, file).toEqual([]);
      expect(r.tenants.length, file).toBe(1);
    }
  });
});

describe('deploy/container (image built without a registry)', () => {
  it('puts every program the agent spawns at run time into the base image', async () => {
    const text = await readFile(IMAGE_BUILD, 'utf8');
    const required = /^required=\(([^)]*)\)/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
    for (const program of ['node', ...RUNTIME_PROGRAMS]) expect(required, program).toContain(program);
  });

  it('builds FROM that base and starts the agent with the documented config path', async () => {
    const text = await readFile(CONTAINERFILE, 'utf8');
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['${BASE}']);
    expect(text).toMatch(/^ARG BASE=nsvswitch-base:local$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/node", "\/opt\/nsvswitch\/bin\/nsvswitch\.js"\]$/m);
    expect(text).toMatch(/^CMD \["run", "--config", "\/etc\/nsvswitch\/config\.yaml"\]$/m);
  });
});

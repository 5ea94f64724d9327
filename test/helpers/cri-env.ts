import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import { busyboxRootfs, killProcessesMentioning, logTail, mountsUnder, setUpOrStop, spawnInNetns, terminate, unmountAll, waitForDaemon } from './runtime-env.js';
import { GrpcCriApi } from '../../src/workloads/cri/cri-api.js';
import type { PodSandboxSpec } from '../../src/workloads/cri/cri-messages.js';
import { netnsPathOfInfo } from '../../src/workloads/cri/parse-pod.js';

export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';
/** Debian's containernetworking-plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';
/** The sandbox ("pause") image, built by hand and imported: there is no registry. */
export const SANDBOX_IMAGE = 'nsvs.local/pause:1';
/** libcni keeps its results here whatever containerd 1.6 is told (go-cni has no cache dir option). */
const CNI_CACHE_DIR = '/var/lib/cni/results';

export function criAvailable(): boolean {
  return existsSync(CONTAINERD) && existsSync(CTR) && existsSync('/bin/busybox') && existsSync(join(CNI_BIN_DIR, 'ptp')) && existsSync(join(CNI_BIN_DIR, 'host-local'));
}

export interface RunPodOptions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly attempt?: number;
  /** The pod's uid (default: a new one); a pod the kubelet restarts keeps its uid and gets a new sandbox. */
  readonly uid?: string;
}

export interface Pod {
  readonly id: string;
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  /** The namespace file as containerd reports it (under its private state dir here). */
  readonly netns: string;
}

/**
 * A real containerd (Debian's) with its CRI plugin, on a private socket, with private root, state,
 * runc root, CNI config and IPAM dirs under `dir`, in the private host network namespace `hostNetns`.
 * Pods get a primary network from `ptp` + `host-local` (standing in for the cluster CNI); namespace
 * files are kept under containerd's state dir (netns_mounts_under_state_dir), never in the machine's
 * /run/netns. stop() removes every pod, ends containerd by pid and its shims, and fails if a mount is left.
 */
export class CriEnv {
  private child: ChildProcess | undefined;
  readonly api: GrpcCriApi;
  readonly network: string;
  /** Parent cgroup of every pod (containerd would otherwise leave a "k8s.io" cgroup behind on the machine). */
  readonly cgroupParent: string;

  private constructor(readonly dir: string, readonly hostNetns: string, readonly podSubnet: string) {
    this.api = new GrpcCriApi({ socketPath: this.socket });
    const tag = randomBytes(4).toString('hex');
    this.network = `nsvs-${tag}`;
    this.cgroupParent = `/nsvs-cri-${tag}`;
  }

  get socket(): string {
    return join(this.dir, 'c.sock');
  }

  /** Where containerd pins pod namespace files (CRI state dir + /netns). */
  get netnsDir(): string {
    return join(this.dir, 'state', 'io.containerd.grpc.v1.cri', 'netns');
  }

  static async start(dir: string, hostNetns: string, opts: { podSubnet?: string } = {}): Promise<CriEnv> {
    const env = new CriEnv(dir, hostNetns, opts.podSubnet ?? '172.30.240.0/24');
    return setUpOrStop(env, async () => {
      for (const d of ['root', 'state', 'runc', 'opt', 'cni', 'cni-ipam']) await mkdir(join(dir, d), { recursive: true });
      await mkdir(env.netnsDir, { recursive: true });
      await writeFile(join(dir, 'config.toml'), env.configToml());
      await writeFile(join(dir, 'cni', '10-primary.conflist'), JSON.stringify({
        cniVersion: '0.4.0', name: env.network,
        plugins: [{ type: 'ptp', ipMasq: false, mtu: 1500, ipam: { type: 'host-local', ranges: [[{ subnet: env.podSubnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni-ipam') } }],
      }));
      await env.startDaemon();
      await env.importImage();
    });
  }

  private configToml(): string {
    const d = this.dir;
    const cri = 'plugins."io.containerd.grpc.v1.cri"';
    return `version = 2
root = ${JSON.stringify(join(d, 'root'))}
state = ${JSON.stringify(join(d, 'state'))}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${JSON.stringify(this.socket)}

[ttrpc]
  address = ${JSON.stringify(join(d, 'c.sock.ttrpc'))}

[debug]
  level = "warn"

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(join(d, 'opt'))}

[${cri}]
  sandbox_image = ${JSON.stringify(SANDBOX_IMAGE)}
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  Root = ${JSON.stringify(join(d, 'runc'))}

[${cri}.cni]
  bin_dir = ${JSON.stringify(CNI_BIN_DIR)}
  conf_dir = ${JSON.stringify(join(d, 'cni'))}
  max_conf_num = 1
`;
  }

  get pidFile(): string {
    return join(this.dir, 'containerd.pid');
  }

  /** Starts containerd (again) in the host namespace and waits for its CRI to answer. */
  async startDaemon(): Promise<void> {
    const child = (this.child = spawnInNetns(this.hostNetns, [CONTAINERD, '--config', join(this.dir, 'config.toml')], this.logFile));
    await waitForDaemon('containerd', child, () => this.api.version().then(() => true, () => false), this.logFile);
    if (child.pid !== undefined) await writeFile(this.pidFile, `${child.pid}\n`);
  }

  private get logFile(): string {
    return join(this.dir, 'containerd.log');
  }

  async logTail(lines = 30): Promise<string> {
    return logTail(this.logFile, lines);
  }

  /** containerd's own pid (nsenter execs it). */
  daemonPid(): number | undefined {
    const pid = this.child?.pid;
    return pid !== undefined && this.child?.exitCode === null && this.child.signalCode === null ? pid : undefined;
  }

  /** An OCI image archive built by hand (busybox-static, entrypoint sleep), imported into the k8s.io namespace. */
  private async importImage(): Promise<void> {
    const work = join(this.dir, 'image');
    const rootfs = join(work, 'rootfs');
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await busyboxRootfs(rootfs);
    await mkdir(blobs, { recursive: true });
    const layerTar = join(work, 'layer.tar');
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', layerTar, '.']);
    const layer = await readFile(layerTar);
    const blob = async (b: Buffer): Promise<{ digest: string; size: number }> => {
      const hex = createHash('sha256').update(b).digest('hex');
      await writeFile(join(blobs, hex), b);
      return { digest: `sha256:${hex}`, size: b.length };
    };
    const l = await blob(layer);
    const config = await blob(Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: { Entrypoint: ['/bin/sleep', '2147483'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [l.digest] },
    })));
    const manifest = await blob(Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
    })));
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': SANDBOX_IMAGE, 'org.opencontainers.image.ref.name': '1' } }],
    }));
    const archive = join(work, 'image.tar');
    await run('tar', ['-C', layout, '-cf', archive, '.']);
    await this.ctr(['images', 'import', archive]);
    await rm(work, { recursive: true, force: true });
  }

  /** `ctr` against this containerd, in the k8s.io namespace (the CRI's). */
  ctr(args: readonly string[]): ReturnType<typeof run> {
    return run(CTR, ['--address', this.socket, '--namespace', 'k8s.io', ...args], { timeoutMs: 60_000 });
  }

  /** RunPodSandbox as the kubelet calls it, then its namespace path from the verbose status. */
  async runPod(namespace: string, name: string, o: RunPodOptions = {}): Promise<Pod> {
    const spec: PodSandboxSpec = {
      name, namespace, uid: o.uid ?? `${namespace}-${name}-${randomBytes(4).toString('hex')}`, attempt: o.attempt ?? 0, hostname: name,
      labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, ...o.labels },
      annotations: { ...o.annotations },
      cgroupParent: this.cgroupParent,
    };
    const id = await this.api.runPodSandbox(spec);
    return { id, uid: spec.uid, name, namespace, netns: await this.netnsOf(id) };
  }

  async netnsOf(id: string): Promise<string> {
    const st = await this.api.podSandboxStatus(id, true);
    const p = st ? netnsPathOfInfo(st.info) : undefined;
    if (typeof p !== 'string') throw new Error(`pod sandbox ${id}: no network namespace path in its verbose status`);
    return p;
  }

  /** StopPodSandbox then RemovePodSandbox (kubelet's order when a pod is deleted). */
  async removePod(id: string): Promise<void> {
    await this.api.stopPodSandbox(id);
    await this.api.removePodSandbox(id);
  }

  /** Stops containerd by its pid (SIGTERM, then SIGKILL). Pod sandboxes (their shims) live on. */
  async stopDaemon(): Promise<void> {
    const pid = this.daemonPid();
    if (pid !== undefined) await terminate(pid);
    this.child = undefined;
  }

  async mountsLeft(): Promise<string[]> {
    return mountsUnder(this.dir);
  }

  /** Removes every pod, stops containerd and its shims by pid, unmounts what is left (and fails then), removes the dir. */
  async stop(): Promise<void> {
    if (this.daemonPid() !== undefined) {
      const { items } = await this.api.listPodSandbox().catch(() => ({ items: [] }));
      await Promise.all(items.map((p) => this.removePod(p.id).catch(() => undefined)));
    }
    this.api.close();
    await this.stopDaemon();
    // Shims of pods left behind (a test that failed): ours only, by the socket path in their command line.
    await killProcessesMentioning(this.dir);
    const mounts = await this.mountsLeft();
    await unmountAll(mounts);
    // libcni's cache entries of our network (removed by CNI DEL; left only after a failure).
    for (const f of await readdir(CNI_CACHE_DIR).catch(() => [] as string[])) {
      if (f.startsWith(`${this.network}-`)) await rm(join(CNI_CACHE_DIR, f), { force: true });
    }
    await this.removeCgroups();
    await rm(this.dir, { recursive: true, force: true });
    if (mounts.length > 0) throw new Error(`containerd left mounts under ${this.dir}: ${mounts.join(', ')}`);
  }

  /** The pods' parent cgroup in every hierarchy (runc removes each pod's own, not the parent). */
  private async removeCgroups(): Promise<void> {
    const name = this.cgroupParent.slice(1);
    const roots = ['/sys/fs/cgroup', ...(await readdir('/sys/fs/cgroup').catch(() => [] as string[])).map((c) => join('/sys/fs/cgroup', c))];
    for (const root of roots) {
      const dir = join(root, name);
      if (!existsSync(dir)) continue;
      // Children first (a pod cgroup runc could not remove), then the parent; rmdir only empties.
      for (const child of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (child.isDirectory()) await rmdir(join(dir, child.name)).catch(() => undefined);
      }
      await rmdir(dir).catch(() => undefined);
    }
  }
}


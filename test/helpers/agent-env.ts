import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { PrivateNetnsDir } from '../../src/sandbox/private-netns-dir.js';
import type { AgentConfig } from '../../src/config/types.js';
import { DEFAULT_CONFIG } from '../../src/config/index.js';
import { run } from '../../src/exec/run.js';

export const BRIDGE = 'br-nsv';

export function tenantYaml(name: string, id: number, subnet: string, patterns: string[], extra = ''): string {
  return `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: ${name} }
spec:
  id: ${id}
  subnet: ${subnet}
  namespaces: ${JSON.stringify(patterns)}
${extra}`;
}

/**
 * One private OVS, a manifest dir and a workload namespace dir: what an agent
 * integration test needs. stop() removes all of it, also after a failure.
 */
export class AgentEnv {
  private constructor(
    readonly sb: OvsSandbox,
    readonly workloads: PrivateNetnsDir,
    readonly manifestDir: string,
  ) {}

  static async start(label: string): Promise<AgentEnv> {
    const sb = await OvsSandbox.start({ label });
    try {
      const workloads = await PrivateNetnsDir.create(join(sb.dir, 'workloads'));
      const manifestDir = join(sb.dir, 'tenants.d');
      await mkdir(manifestDir, { recursive: true });
      return new AgentEnv(sb, workloads, manifestDir);
    } catch (err) {
      await sb.stop();
      throw err;
    }
  }

  config(extra: Partial<AgentConfig> = {}): AgentConfig {
    return {
      ...DEFAULT_CONFIG,
      ovsdb: this.sb.dbEndpoint,
      ovsRundir: this.sb.dir,
      bridge: BRIDGE,
      datapathType: 'netdev',
      manifestDir: this.manifestDir,
      namespaceDirs: [this.workloads.dir],
      hostNetns: this.sb.hostNetns,
      metricsListen: '127.0.0.1:0',
      logLevel: 'warn',
      ...extra,
    };
  }

  async writeManifest(file: string, text: string): Promise<void> {
    const tmp = join(this.manifestDir, `.${file}.tmp`);
    await writeFile(tmp, text);
    await run('mv', ['-f', tmp, join(this.manifestDir, file)]);
  }

  async removeManifest(file: string): Promise<void> {
    await rm(join(this.manifestDir, file), { force: true });
  }

  /** Runs a command inside a workload namespace. */
  inNs(name: string, file: string, args: string[]): ReturnType<typeof run> {
    return run(file, args, { netns: this.workloads.path(name) });
  }

  async ping(from: string, ip: string, count = 1): Promise<boolean> {
    const r = await run('ping', ['-c', String(count), '-W', '1', '-i', '0.2', ip], { netns: this.workloads.path(from), okExitCodes: [1, 2] });
    return r.exitCode === 0;
  }

  /** Interface rows with their external_ids, as ovs-vsctl (the real tool) sees them. */
  async interfaces(): Promise<{ name: string; ofport: number; ids: Record<string, string> }[]> {
    const out = await this.sb.vsctl('--format=json', '--columns=name,ofport,external_ids', 'list', 'Interface');
    const j = JSON.parse(out) as { data: [string, number | unknown, [string, [string, string][]]][] };
    return j.data.map(([name, ofport, ids]) => ({ name, ofport: typeof ofport === 'number' ? ofport : -1, ids: Object.fromEntries(ids[1]) }));
  }

  async ownedInterfaces(): Promise<{ name: string; ofport: number; ids: Record<string, string> }[]> {
    return (await this.interfaces()).filter((i) => i.ids['nsvswitch-owner'] === 'nsvswitch');
  }

  async hostLinks(): Promise<string[]> {
    const out = await this.sb.inHost('ip', ['-o', 'link', 'show']);
    return out.stdout.split('\n').filter(Boolean).map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '');
  }

  async stop(): Promise<void> {
    await this.workloads.destroy().catch(() => undefined);
    await this.sb.stop();
  }
}

/** Polls until `check` returns a truthy value or the time is up (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export { tmpdir };

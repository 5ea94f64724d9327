import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.js';
import { ExternalIds } from '../../../src/core/ownership.js';
import { benchNames, BENCH_SUBNET, inSubnet } from '../addresses.js';
import { AgentProcess } from '../agent-process.js';
import { InterfaceMonitor } from '../interface-monitor.js';
import type { InterfaceRow } from '../interface-replica.js';
import { interfaceProblems, readNsInterface, spotIndices } from '../netns-check.js';
import { startBenchSandbox } from '../sandbox.js';
import { nowMs, pollUntil } from '../timing.js';
import { VerificationError, type Contender } from './types.js';

export const AGENT_IF_NAME = 'eth0';
export const AGENT_MTU = 1500;
const NS_PREFIX = 'bench-';
/** How long the agent may take to create its bridge after start. */
const AGENT_READY_TIMEOUT_MS = 30_000;

/** The bench tenant: every bench-* namespace, one /16, no gateway (the peer and floor set none either). */
export function benchManifest(): string {
  return [
    'apiVersion: nsvswitch/v1',
    'kind: Tenant',
    'metadata: { name: bench }',
    'spec:',
    '  id: 7701',
    `  subnet: ${BENCH_SUBNET}`,
    `  namespaces: ["${NS_PREFIX}*"]`,
    `  interface: { name: ${AGENT_IF_NAME}, mtu: ${AGENT_MTU} }`,
    '',
  ].join('\n');
}

/** `nsvswitch run` flags for an agent on the bench sandbox. */
export function agentArgs(o: { dbEndpoint: string; ovsRundir: string; bridge: string; manifestDir: string; namespaceDir: string; hostNetns: string }): string[] {
  return [
    '--ovsdb', o.dbEndpoint,
    '--ovs-rundir', o.ovsRundir,
    '--bridge', o.bridge,
    '--datapath-type', 'netdev',
    '--manifest-dir', o.manifestDir,
    '--namespace-dir', o.namespaceDir,
    '--host-netns', o.hostNetns,
    '--metrics-listen', '127.0.0.1:0',
    '--log-level', 'warn',
  ];
}

/** A row the agent owns for the namespace at `nsPath` (it records the path, possibly as path#inode). */
function rowOf(rows: readonly InterfaceRow[], nsPath: string): InterfaceRow | undefined {
  return rows.find((r) => {
    const v = r.externalIds[ExternalIds.netns];
    return v === nsPath || (v?.startsWith(`${nsPath}#`) ?? false);
  });
}

function ready(row: InterfaceRow): boolean {
  return row.externalIds[ExternalIds.installed] === 'true' && row.ofport !== undefined && row.ofport > 0;
}

export interface NsvswitchOptions {
  /** The agent's CLI entry (default: this checkout's bin/nsvswitch.js), e.g. to bench a built copy. */
  readonly agentBin?: string;
}

/**
 * nsvswitch itself: the agent runs first, then the namespaces are created
 * and the clock runs from the start of their creation (the agent reacts to
 * it) until every port carries the ready marker.
 */
export function nsvswitchContender(opts: NsvswitchOptions = {}): Contender {
  return async ({ n, bridge, timeoutMs, log }) => {
    const names = benchNames(NS_PREFIX, n);
    const { sb, stop } = await startBenchSandbox('burst-nsvs');
    let agent: AgentProcess | undefined;
    let monitor: InterfaceMonitor | undefined;
    try {
      const manifestDir = join(sb.dir, 'manifests');
      await mkdir(manifestDir, { recursive: true });
      await writeFile(join(manifestDir, 'bench.yaml'), benchManifest());
      agent = AgentProcess.start(
        agentArgs({ dbEndpoint: sb.dbEndpoint, ovsRundir: sb.dir, bridge, manifestDir, namespaceDir: sb.netnsDir.dir, hostNetns: sb.hostNetns }),
        sb.hostNetns,
        sb.env,
        opts.agentBin,
      );
      const a = agent;
      const died = a.exited();
      died.catch(() => undefined);
      await Promise.race([
        died,
        pollUntil('nsvswitch: agent creating its bridge', async () => {
          if (!a.running) throw new Error(`agent exited: ${a.lastLines()}`);
          const r = await run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, 'br-exists', bridge], { env: sb.env, okExitCodes: [2] });
          return r.exitCode === 0 ? true : undefined;
        }, AGENT_READY_TIMEOUT_MS, 100),
      ]);
      monitor = await InterfaceMonitor.start(sb.dbEndpoint, sb.env);
      const m = monitor;
      log(`nsvswitch: agent pid ${a.pid ?? '?'} ready; creating ${n} namespaces`);

      const t0 = nowMs();
      const paths = await sb.netnsDir.add(...names);
      const creationMs = nowMs() - t0;
      const want = new Set(paths);
      const allReady = (rep: Map<string, InterfaceRow>): boolean => {
        let k = 0;
        for (const r of rep.values()) {
          const v = r.externalIds[ExternalIds.netns];
          if (v !== undefined && ready(r) && want.has(v.split('#')[0] ?? v)) k++;
        }
        return k >= n;
      };
      const doneAt = await Promise.race([died, m.waitFor(`nsvswitch: ${n} ports ready`, allReady, timeoutMs)]);
      const totalMs = doneAt - t0;

      const problems: string[] = [];
      const rows = [...m.replica.values()];
      const spots = spotIndices(n);
      for (const i of spots) {
        const nsPath = paths[i] as string;
        const row = rowOf(rows, nsPath);
        if (!row || !ready(row)) {
          problems.push(`namespace ${nsPath}: no ready port on bridge ${bridge}`);
          continue;
        }
        const br = (await sb.vsctl('port-to-br', row.name)).trim();
        if (br !== bridge) problems.push(`port ${row.name}: on bridge ${br}, expected ${bridge}`);
        const state = await readNsInterface(nsPath, AGENT_IF_NAME);
        const recorded = row.externalIds[ExternalIds.ip]?.split('/')[0];
        problems.push(...interfaceProblems(nsPath, AGENT_IF_NAME, state, { mtu: AGENT_MTU }));
        const have = (state?.ipv4 ?? []).map((x) => x.split('/')[0] ?? '');
        if (recorded !== undefined && !have.includes(recorded)) problems.push(`namespace ${nsPath}: ${AGENT_IF_NAME} lacks the recorded address ${recorded}`);
        if (!have.some((ip) => inSubnet(ip, BENCH_SUBNET))) problems.push(`namespace ${nsPath}: no address in ${BENCH_SUBNET}`);
      }
      if (problems.length) throw new VerificationError('nsvswitch', problems);
      return {
        contender: 'nsvswitch',
        status: 'ok',
        n,
        measuredN: n,
        extrapolated: false,
        totalMs,
        perNsMs: totalMs / n,
        creationMs,
        beyondCreationMs: totalMs - creationMs,
        stages: { 'namespaces created': creationMs, 'all ports ready (nsvswitch-installed=true)': totalMs },
        verified: { spotChecked: spots.length, portsAttached: rows.filter(ready).length },
        notes: [],
      };
    } finally {
      await monitor?.stop();
      await agent?.stop();
      await stop();
    }
  };
}

/**
 * Flow programming benchmark: the tenant pipeline for N ports installed
 * through FlowSync (dump, canonical diff, one bundle), next to the floor —
 * one `ovs-ofctl --bundle add-flows` of exactly the same flows — in the same
 * run on the same switch; plus a no-op sync (floor: one dump-flows) and one
 * port joining (floor: one bundle of just the changed flows).
 *
 *   npx tsx bench/flows.ts [--ports 1000] [--tenants 10] [--runs 5]
 *
 * Ports are fake: flows may name OpenFlow ports that do not exist (OVS
 * accepts output:N to a missing port), so no veths are needed and the figures
 * measure flow programming only.
 */
import { performance } from 'node:perf_hooks';
import { FLOWS_PER_PORT, FLOWS_PER_TENANT, OWNER_COOKIE, baseFlows, pipelineFlows, portFlows, type FlowPort } from '../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver, bundleText, cookieFilterArg, diffFlows, type Flow } from '../src/openflow/index.js';
import { run } from '../src/exec/run.js';
import { NativeFlowDriver } from '../src/openflow/native/native-driver.js';
import { installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { startFlowBench } from './lib/flow-bench.js';
import { publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';
import { benchIp, benchMac } from './lib/addresses.js';

const BRIDGE = 'br-flows';
const FIRST_TENANT_ID = 1000;

function fakePorts(n: number, tenants: number): FlowPort[] {
  return Array.from({ length: n }, (_, i) => {
    const tenantId = FIRST_TENANT_ID + (i % tenants);
    return { portName: `nsvbench${i}`, ofport: i + 1, mac: benchMac(i), ip: benchIp(i), tenantId, tenant: `t${tenantId}` };
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

interface Sample {
  installOurs: number;
  installFloor: number;
  noopOurs: number;
  noopFloor: number;
  joinOurs: number;
  joinFloor: number;
  installNative: number;
  noopNative: number;
  joinNative: number;
  bundleNative: number;
  dumpNative: number;
}

interface Results {
  readonly flowsPerPort: number;
  readonly flowsPerTenant: number;
  readonly baseFlows: number;
  readonly totalFlows: number;
  readonly pureMs: { pipelineFlows: Summary; diffNoop: Summary };
  readonly ms: Record<keyof Sample, Summary>;
  readonly ratios: { install: number; noop: number; join: number };
  /** The in-process OpenFlow driver (same FlowSync) against the same ovs-ofctl floors. */
  readonly nativeRatios: { install: number; noop: number; join: number; bundle: number; dump: number };
  readonly spawns: { install: number; noop: number; join: number };
  readonly noopFlowMods: number;
}

async function main(): Promise<void> {
  installSignalCleanup();
  const { nPorts, nTenants, runs, startedAt, machine, sb, stop } = await startFlowBench('flows', BRIDGE);
  let native: NativeFlowDriver | undefined;
  try {
    let spawns = 0;
    const driver = new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env, onSpawn: () => spawns++ });
    const sync = new FlowSync(driver);
    native = new NativeFlowDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE });
    const nativeSync = new FlowSync(native);
    const ports = fakePorts(nPorts, nTenants);
    const joiner: FlowPort = { ...fakePorts(nPorts + 1, nTenants)[nPorts]! };
    const pureBuild: number[] = [];
    const pureDiff: number[] = [];
    let desired: Flow[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      desired = pipelineFlows(ports);
      pureBuild.push(performance.now() - t0);
      const t1 = performance.now();
      diffFlows(desired, desired);
      pureDiff.push(performance.now() - t1);
    }
    const withJoiner = pipelineFlows([...ports, joiner]);
    const joinDiff = diffFlows(withJoiner, desired);
    const joinText = bundleText({ add: [...joinDiff.add, ...joinDiff.modify], del: joinDiff.del });
    const fullText = bundleText({ add: desired, del: [] });
    const ofctl = (args: string[], input?: string) => run('ovs-ofctl', args, { env: sb.env, ...(input !== undefined ? { input } : {}) });
    const target = sb.mgmt(BRIDGE);
    const clear = () => ofctl(['-O', 'OpenFlow15', 'del-flows', target]);

    const samples: Sample[] = [];
    const spawnCounts = { install: 0, noop: 0, join: 0 };
    let noopFlowMods = 0;
    for (let i = 0; i < runs; i++) {
      await clear();
      const [installFloor] = await timed(() => ofctl(['-O', 'OpenFlow15', '--bundle', 'add-flows', target, '-'], fullText));
      const [noopFloor] = await timed(() => ofctl(['-O', 'OpenFlow15', '--no-stats', 'dump-flows', target, cookieFilterArg(OWNER_COOKIE)]));
      const [joinFloor] = await timed(() => ofctl(['-O', 'OpenFlow15', '--bundle', 'add-flows', target, '-'], joinText));
      await clear();
      spawns = 0;
      const [installOurs, r1] = await timed(() => sync.sync(BRIDGE, desired));
      spawnCounts.install = spawns;
      if (r1.added !== desired.length) throw new Error(`install added ${r1.added}, expected ${desired.length}`);
      spawns = 0;
      const [noopOurs, r2] = await timed(() => sync.sync(BRIDGE, desired));
      spawnCounts.noop = spawns;
      noopFlowMods += r2.added + r2.modified + r2.deleted;
      spawns = 0;
      const [joinOurs, r3] = await timed(() => sync.sync(BRIDGE, withJoiner));
      spawnCounts.join = spawns;
      if (r3.added !== FLOWS_PER_PORT || r3.modified !== 1 || r3.deleted !== 0) throw new Error(`join changed ${JSON.stringify(r3)}`);
      await clear();
      const [installNative, n1] = await timed(() => nativeSync.sync(BRIDGE, desired));
      if (n1.added !== desired.length) throw new Error(`native install added ${n1.added}, expected ${desired.length}`);
      const [noopNative, n2] = await timed(() => nativeSync.sync(BRIDGE, desired));
      noopFlowMods += n2.added + n2.modified + n2.deleted;
      const [joinNative, n3] = await timed(() => nativeSync.sync(BRIDGE, withJoiner));
      if (n3.added !== FLOWS_PER_PORT || n3.modified !== 1 || n3.deleted !== 0) throw new Error(`native join changed ${JSON.stringify(n3)}`);
      // The driver alone, like the floors: one bundle of the same flows, one dump of them (no FlowSync diff around it).
      await clear();
      const [bundleNative] = await timed(() => native!.apply(BRIDGE, { add: desired, del: [] }));
      const [dumpNative, dumped] = await timed(() => native!.dump(BRIDGE));
      if (dumped.length !== desired.length) throw new Error(`native dump read ${dumped.length} flows, expected ${desired.length}`);
      samples.push({ installOurs, installFloor, noopOurs, noopFloor, joinOurs, joinFloor, installNative, noopNative, joinNative, bundleNative, dumpNative });
      process.stderr.write(`run ${i + 1}/${runs} native: install ${installNative.toFixed(0)} ms, no-op ${noopNative.toFixed(0)} ms, join ${joinNative.toFixed(0)} ms\n`);
      process.stderr.write(`run ${i + 1}/${runs}: install ${installOurs.toFixed(0)} ms (floor ${installFloor.toFixed(0)}), no-op ${noopOurs.toFixed(0)} ms (floor ${noopFloor.toFixed(0)}), join ${joinOurs.toFixed(0)} ms (floor ${joinFloor.toFixed(0)})\n`);
    }
    const ms = Object.fromEntries((Object.keys(samples[0]!) as (keyof Sample)[]).map((k) => [k, summarize(samples.map((s) => s[k]))])) as Record<keyof Sample, Summary>;
    const results: Results = {
      flowsPerPort: portFlows(ports[0]!).length,
      flowsPerTenant: FLOWS_PER_TENANT,
      baseFlows: baseFlows().length,
      totalFlows: desired.length,
      pureMs: { pipelineFlows: summarize(pureBuild), diffNoop: summarize(pureDiff) },
      ms,
      ratios: { install: ms.installOurs.p50 / ms.installFloor.p50, noop: ms.noopOurs.p50 / ms.noopFloor.p50, join: ms.joinOurs.p50 / ms.joinFloor.p50 },
      nativeRatios: { install: ms.installNative.p50 / ms.installFloor.p50, noop: ms.noopNative.p50 / ms.noopFloor.p50, join: ms.joinNative.p50 / ms.joinFloor.p50, bundle: ms.bundleNative.p50 / ms.installFloor.p50, dump: ms.dumpNative.p50 / ms.noopFloor.p50 },
      spawns: spawnCounts,
      noopFlowMods,
    };
    const f = (x: number) => x.toFixed(1);
    const summary: Table[] = [
      {
        title: `Flow programming, ${nPorts} ports in ${nTenants} tenants (${desired.length} flows; median of ${runs} runs, ms)`,
        headers: ['operation', 'nsvswitch FlowSync (ovs-ofctl)', 'floor (one ovs-ofctl)', 'ratio', 'spawns', 'FlowSync native', 'native ratio'],
        rows: [
          ['install pipeline on an empty bridge', f(ms.installOurs.p50), f(ms.installFloor.p50), `${results.ratios.install.toFixed(2)}x`, String(spawnCounts.install), f(ms.installNative.p50), `${results.nativeRatios.install.toFixed(2)}x`],
          ['no-op sync (nothing changed)', f(ms.noopOurs.p50), f(ms.noopFloor.p50), `${results.ratios.noop.toFixed(2)}x`, String(spawnCounts.noop), f(ms.noopNative.p50), `${results.nativeRatios.noop.toFixed(2)}x`],
          ['one port joins (5 adds + 1 flood rewrite)', f(ms.joinOurs.p50), f(ms.joinFloor.p50), `${results.ratios.join.toFixed(2)}x`, String(spawnCounts.join), f(ms.joinNative.p50), `${results.nativeRatios.join.toFixed(2)}x`],
          ['driver only: one bundle of all flows / one dump', '', `${f(ms.installFloor.p50)} / ${f(ms.noopFloor.p50)}`, '', '0', `${f(ms.bundleNative.p50)} / ${f(ms.dumpNative.p50)}`, `${results.nativeRatios.bundle.toFixed(2)}x / ${results.nativeRatios.dump.toFixed(2)}x`],
        ],
        notes: [
          'floor: install = one --bundle add-flows of the same flows; no-op = one dump-flows (what any diff-based sync must read); join = one bundle of only the changed flows',
          `flows per port ${results.flowsPerPort}, per tenant ${results.flowsPerTenant}, base ${results.baseFlows}; flow-mods sent by no-op syncs: ${noopFlowMods}`,
          `pure pipelineFlows ${f(results.pureMs.pipelineFlows.p50)} ms, canonical diff of ${desired.length} vs ${desired.length} ${f(results.pureMs.diffNoop.p50)} ms`,
          'ports are fake ofports (OVS accepts output to missing ports): flow programming only, no veths',
          'native: the same FlowSync over the in-process OpenFlow 1.5 driver (one connection to BRIDGE.mgmt: flow-stats dump, one atomic bundle), 0 spawns; ratios against the same ovs-ofctl floors',
        ],
      },
    ];
    await publishResult({ name: 'flows', startedAt, finishedAt: new Date().toISOString(), machine, params: { ports: nPorts, tenants: nTenants, runs }, results, summary }, { write: !isInterrupted() });
  } finally {
    native?.close();
    await stop();
  }
}

runBench('bench/flows', main);

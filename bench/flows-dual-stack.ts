/**
 * Flow programming for dual-stack tenants next to IPv4-only ones, in one run on one switch: the
 * flows per port, and the time to install the whole pipeline on an empty bridge (FlowSync over the
 * in-process driver and over ovs-ofctl, and the floor: one `ovs-ofctl --bundle add-flows` of the same
 * flows), for the same N ports once IPv4-only and once dual-stack. The ratios compare dual-stack with
 * IPv4 under each method.
 *
 *   npx tsx bench/flows-dual-stack.ts [--ports 1000] [--tenants 10] [--runs 5]
 *
 * Ports are fake (OVS accepts output to missing ports): flow programming only, no veths.
 */
import { performance } from 'node:perf_hooks';
import { FLOWS_PER_PORT, IPV6_BASE_FLOWS, IPV6_FLOWS_PER_PORT, OWNER_COOKIE, baseFlows, pipelineFlows, type FlowPort } from '../src/core/pipeline/index.js';
import { FlowSync, OfctlDriver, bundleText, type Flow } from '../src/openflow/index.js';
import { run } from '../src/exec/run.js';
import { NativeFlowDriver } from '../src/openflow/native/native-driver.js';
import { installSignalCleanup, isInterrupted, runBench } from './lib/cleanup.js';
import { startFlowBench } from './lib/flow-bench.js';
import { publishResult } from './lib/results.js';
import type { Table } from './lib/table.js';
import { summarize, type Summary } from './lib/stats.js';
import { benchIp, benchMac } from './lib/addresses.js';

const BRIDGE = 'br-flows6';
const FIRST_TENANT_ID = 1000;

function fakePorts(n: number, tenants: number, dual: boolean): FlowPort[] {
  return Array.from({ length: n }, (_, i) => {
    const tenantId = FIRST_TENANT_ID + (i % tenants);
    const ip6 = `fd00:77:${tenantId.toString(16)}::${(i + 2).toString(16)}`;
    return { portName: `nsvbench${i}`, ofport: i + 1, mac: benchMac(i), ip: benchIp(i), tenantId, tenant: `t${tenantId}`, ...(dual ? { ip6 } : {}) };
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

type Family = 'ipv4' | 'dual';
interface Sample { floor: number; ofctl: number; native: number; pure: number }

async function main(): Promise<void> {
  installSignalCleanup();
  const { nPorts, nTenants, runs, startedAt, machine, sb, stop } = await startFlowBench('flows6', BRIDGE);
  let native: NativeFlowDriver | undefined;
  try {
    const ofctlSync = new FlowSync(new OfctlDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE, env: sb.env }));
    native = new NativeFlowDriver({ ovsRundir: sb.dir, cookie: OWNER_COOKIE });
    const nativeSync = new FlowSync(native);
    const target = sb.mgmt(BRIDGE);
    const ofctl = (args: string[], input?: string) => run('ovs-ofctl', args, { env: sb.env, ...(input !== undefined ? { input } : {}) });
    const clear = () => ofctl(['-O', 'OpenFlow15', 'del-flows', target]);
    const flows: Record<Family, Flow[]> = { ipv4: pipelineFlows(fakePorts(nPorts, nTenants, false)), dual: pipelineFlows(fakePorts(nPorts, nTenants, true)) };
    const samples: Record<Family, Sample[]> = { ipv4: [], dual: [] };
    for (let i = 0; i < runs; i++) {
      // Alternate the order so drift in the machine's load does not favour one family.
      for (const fam of (i % 2 === 0 ? ['ipv4', 'dual'] : ['dual', 'ipv4']) as Family[]) {
        const desired = flows[fam];
        const ports = fakePorts(nPorts, nTenants, fam === 'dual');
        const [pure] = await timed(async () => pipelineFlows(ports));
        await clear();
        const [floor] = await timed(() => ofctl(['-O', 'OpenFlow15', '--bundle', 'add-flows', target, '-'], bundleText({ add: desired, del: [] })));
        await clear();
        const [ofc, r1] = await timed(() => ofctlSync.sync(BRIDGE, desired));
        await clear();
        const [nat, r2] = await timed(() => nativeSync.sync(BRIDGE, desired));
        if (r1.added !== desired.length || r2.added !== desired.length) throw new Error(`${fam}: installed ${r1.added}/${r2.added} of ${desired.length}`);
        const again = await nativeSync.sync(BRIDGE, desired);
        if (again.added + again.modified + again.deleted !== 0) throw new Error(`${fam}: a no-op sync sent flow-mods ${JSON.stringify(again)}`);
        samples[fam].push({ floor, ofctl: ofc, native: nat, pure });
        process.stderr.write(`run ${i + 1}/${runs} ${fam}: floor ${floor.toFixed(0)} ms, FlowSync ofctl ${ofc.toFixed(0)} ms, native ${nat.toFixed(0)} ms\n`);
      }
    }
    const med = (fam: Family, k: keyof Sample): Summary => summarize(samples[fam].map((s) => s[k]));
    const ms = Object.fromEntries((['ipv4', 'dual'] as Family[]).map((fam) => [fam, Object.fromEntries((['floor', 'ofctl', 'native', 'pure'] as (keyof Sample)[]).map((k) => [k, med(fam, k)]))])) as Record<Family, Record<keyof Sample, Summary>>;
    const ratio = (k: keyof Sample) => ms.dual[k].p50 / ms.ipv4[k].p50;
    const results = {
      flowsPerPort: { ipv4: FLOWS_PER_PORT, dual: FLOWS_PER_PORT + IPV6_FLOWS_PER_PORT },
      baseFlows: { ipv4: baseFlows().length, dual: baseFlows().length + IPV6_BASE_FLOWS },
      totalFlows: { ipv4: flows.ipv4.length, dual: flows.dual.length },
      ms,
      ratios: { flows: flows.dual.length / flows.ipv4.length, floor: ratio('floor'), ofctl: ratio('ofctl'), native: ratio('native'), pure: ratio('pure') },
    };
    const f = (x: number) => x.toFixed(1);
    const summary: Table[] = [{
      title: `Dual-stack vs IPv4-only pipeline, ${nPorts} ports in ${nTenants} tenants (median of ${runs} runs, ms)`,
      headers: ['', 'IPv4 only', 'dual stack', 'dual / IPv4'],
      rows: [
        ['flows per port', String(results.flowsPerPort.ipv4), String(results.flowsPerPort.dual), `${(results.flowsPerPort.dual / results.flowsPerPort.ipv4).toFixed(2)}x`],
        ['flows in total', String(results.totalFlows.ipv4), String(results.totalFlows.dual), `${results.ratios.flows.toFixed(2)}x`],
        ['pipelineFlows (pure)', f(ms.ipv4.pure.p50), f(ms.dual.pure.p50), `${results.ratios.pure.toFixed(2)}x`],
        ['install: floor (one ovs-ofctl --bundle)', f(ms.ipv4.floor.p50), f(ms.dual.floor.p50), `${results.ratios.floor.toFixed(2)}x`],
        ['install: FlowSync over ovs-ofctl', f(ms.ipv4.ofctl.p50), f(ms.dual.ofctl.p50), `${results.ratios.ofctl.toFixed(2)}x`],
        ['install: FlowSync, native driver', f(ms.ipv4.native.p50), f(ms.dual.native.p50), `${results.ratios.native.toFixed(2)}x`],
      ],
      notes: [
        `dual stack: ${IPV6_FLOWS_PER_PORT} IPv6 flows per port (2 source allows, 1 spoof drop, 3 ND guard, 2 ND answers) and ${IPV6_BASE_FLOWS} bridge flows (RA, redirect, DHCPv6 drops; ND guard drops and misses; the NA's option)`,
        'every no-op resync after an install sent 0 flow-mods (checked)',
        'ports are fake ofports (OVS accepts output to missing ports): flow programming only, no veths',
      ],
    }];
    await publishResult({ name: 'flows-dual-stack', startedAt, finishedAt: new Date().toISOString(), machine, params: { ports: nPorts, tenants: nTenants, runs }, results, summary }, { write: !isInterrupted() });
  } finally {
    native?.close();
    await stop();
  }
}

runBench('bench/flows-dual-stack', main);

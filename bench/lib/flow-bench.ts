import { parseArgs } from 'node:util';
import { machineInfo, type MachineInfo } from './results.js';
import { startBenchSandbox } from './sandbox.js';

type Sandbox = Awaited<ReturnType<typeof startBenchSandbox>>;

/** What the flow benchmarks (bench/flows.ts, bench/flows-dual-stack.ts) share before they measure. */
export interface FlowBench {
  readonly nPorts: number;
  readonly nTenants: number;
  readonly runs: number;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly sb: Sandbox['sb'];
  readonly stop: Sandbox['stop'];
}

/**
 * `--ports N --tenants T --runs R` (1000, 10, 5), the machine, and a private OVS with one secure
 * OpenFlow 1.3+1.5 bridge named `bridge`; `stop` removes it all.
 */
export async function startFlowBench(label: string, bridge: string): Promise<FlowBench> {
  const { values } = parseArgs({ options: { ports: { type: 'string', default: '1000' }, tenants: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' } } });
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const { sb, stop } = await startBenchSandbox(label);
  try {
    await sb.addBridge(bridge, '--', 'set', 'Bridge', bridge, 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow15');
  } catch (err) {
    await stop();
    throw err;
  }
  return { nPorts: Number(values.ports), nTenants: Number(values.tenants), runs: Number(values.runs), startedAt, machine, sb, stop };
}

import { run } from '../../src/exec/run.js';
import { benchIp, benchMac, benchNames } from './addresses.js';
import { floorHostIf, floorNsBatch, floorVethBatch, floorVsctlArgs, FLOOR_IF_NAME, FLOOR_MTU } from './burst/floor.js';
import { startBenchSandbox } from './sandbox.js';
import { nowMs } from './timing.js';

/** One namespace attached by hand: how long each step took (ms), creation included. */
export interface FloorAttach {
  readonly creationMs: number;
  readonly totalMs: number;
  /** Duration of each step after creation, by step name. */
  readonly steps: Readonly<Record<FloorStep, number>>;
}

export const FLOOR_STEPS = ['veth (ip -batch, host)', 'configure (ip -batch, in namespace)', 'add-port (ovs-vsctl, waits for ovs-vswitchd)', 'flows (ovs-ofctl --bundle)'] as const;
export type FloorStep = (typeof FLOOR_STEPS)[number];

/** Host-side veth of the i-th namespace (sfl0001...), within IFNAMSIZ. */
function hostIf(i: number): string {
  return `sfl${String(i + 1).padStart(5, '0')}`;
}

/** Port security and forwarding for one port: the same kind of flows the agent installs, by hand. */
function portFlows(port: string, i: number): string {
  const mac = benchMac(i);
  const ip = benchIp(i);
  return [
    `table=0,priority=100,in_port=${port},dl_src=${mac},ip,nw_src=${ip},actions=goto_table:20`,
    `table=0,priority=100,in_port=${port},dl_src=${mac},arp,arp_spa=${ip},actions=goto_table:20`,
    `table=20,priority=100,dl_dst=${mac},actions=output:${port}`,
    '',
  ].join('\n');
}

/**
 * The single-namespace floor: what a careful script does for one namespace
 * with the fewest processes — create it, one `ip -batch` for the veth, one
 * `ip -batch` inside the namespace, one `ovs-vsctl add-port` (which waits
 * for ovs-vswitchd), one `ovs-ofctl --bundle` with the port's flows — one
 * namespace at a time, in its own sandbox.
 */
export async function singleAttachFloor(o: { n: number; bridge: string; gapMs: number; timeoutMs: number; log: (m: string) => void; preload?: number }): Promise<FloorAttach[]> {
  const { sb, stop } = await startBenchSandbox('latency-floor');
  try {
    await sb.addBridge(o.bridge, 'protocols=OpenFlow13,OpenFlow15', 'fail_mode=secure');
    const preload = o.preload ?? 0;
    if (preload > 0) {
      // The same load on ovs-vswitchd as the agent's preloaded bridge: P ports, their flows (not timed).
      const pre = await sb.netnsDir.add(...benchNames('floor-pre-', preload));
      await run('ip', ['-batch', '-'], { netns: sb.hostNetns, input: floorVethBatch(pre), timeoutMs: o.timeoutMs * 10 });
      await run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, '--timeout=600', ...floorVsctlArgs(o.bridge, preload)], { env: sb.env, timeoutMs: 600_000 });
      const flows = pre.map((_, i) => portFlows(floorHostIf(i), 60_000 + i)).join('');
      await run('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'add-flows', o.bridge, '-'], { env: sb.env, input: flows, timeoutMs: 600_000 });
      o.log(`floor: ${preload} ports preloaded`);
    }
    const names = benchNames('floor-', o.n);
    const out: FloorAttach[] = [];
    for (const [i, name] of names.entries()) {
      const port = hostIf(i);
      const t0 = nowMs();
      const [path] = await sb.netnsDir.add(name);
      const created = nowMs();
      const steps = {} as Record<FloorStep, number>;
      let last = created;
      const step = async (name: FloorStep, p: Promise<unknown>): Promise<void> => {
        await p;
        const t = nowMs();
        steps[name] = t - last;
        last = t;
      };
      await step('veth (ip -batch, host)', run('ip', ['-batch', '-'], { netns: sb.hostNetns, input: `link add ${port} mtu ${FLOOR_MTU} type veth peer name ${FLOOR_IF_NAME} netns ${path as string}\nlink set ${port} up\n`, timeoutMs: o.timeoutMs }));
      await step('configure (ip -batch, in namespace)', run('ip', ['-batch', '-'], { netns: path as string, input: floorNsBatch(i), timeoutMs: o.timeoutMs }));
      await step('add-port (ovs-vsctl, waits for ovs-vswitchd)', run('ovs-vsctl', [`--db=${sb.dbEndpoint}`, `--timeout=${Math.ceil(o.timeoutMs / 1000)}`, 'add-port', o.bridge, port], { env: sb.env, timeoutMs: o.timeoutMs }));
      await step('flows (ovs-ofctl --bundle)', run('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'add-flows', o.bridge, '-'], { env: sb.env, input: portFlows(port, i), timeoutMs: o.timeoutMs }));
      out.push({ creationMs: created - t0, totalMs: last - t0, steps });
      if (o.gapMs > 0) await new Promise((r) => setTimeout(r, o.gapMs));
    }
    const ofports = (await sb.vsctl('--columns=ofport', '--bare', 'find', 'Interface', `name!=${o.bridge}`)).split(/\s+/).filter((s) => /^\d+$/.test(s) && Number(s) > 0);
    if (ofports.length < o.n + preload) throw new Error(`floor: ${ofports.length} of ${o.n + preload} ports attached on bridge ${o.bridge}`);
    return out;
  } finally {
    await stop();
  }
}

/**
 * Records what a real ovs-vswitchd sends over OpenFlow 1.5, for the codec's
 * unit tests: `npx tsx test/helpers/record-openflow.ts` starts a private OVS,
 * installs a small pipeline with ovs-ofctl, speaks to the bridge with raw
 * messages and writes every answer (hex) beside ovs-ofctl's dump of the same
 * flows into test/fixtures/openflow/ovs-session.json. Run once per OVS
 * version worth keeping; the tests read the file, not a switch.
 */
import { createConnection } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { OWNER_COOKIE, pipelineFlows, type FlowPort, type GatewayFlowPort } from '../../src/core/pipeline/index.js';
import { bundleText, mgmtSocketPath } from '../../src/openflow/index.js';
import { OfFramer, type OfMessage } from '../../src/openflow/native/framing.js';
import { bundleAddBody, bundleControlBody, flowModBody, flowStatsRequestBody, hello, message } from '../../src/openflow/native/messages.js';
import { BundleCtrl, FlowModCommand, MsgType, OFPBF_ATOMIC, OFPBF_ORDERED } from '../../src/openflow/native/wire.js';
import { run } from '../../src/exec/run.js';

const OUT = fileURLToPath(new URL('../fixtures/openflow/ovs-session.json', import.meta.url));
const BRIDGE = 'br-rec';

export const RECORDED_PORTS: readonly FlowPort[] = [1, 2, 3].map((o) => ({
  portName: `p${o}`, ofport: o, mac: `02:5a:00:00:00:0${o}`, ip: `10.77.0.${o}`, tenantId: 200 + (o % 2), tenant: `t${200 + (o % 2)}`,
}));
export const RECORDED_GATEWAYS: readonly GatewayFlowPort[] = [{ portName: 'g', ofport: 9, mac: '0a:00:00:00:00:c8', ip: '10.77.0.254', tenantId: 200, tenant: 't200' }];

async function main(): Promise<void> {
  const sb = await OvsSandbox.start({ label: 'of-record' });
  try {
    await sb.addBridge(BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow15');
    const flows = pipelineFlows(RECORDED_PORTS, RECORDED_GATEWAYS);
    await sb.inHost('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'add-flows', sb.mgmt(BRIDGE), '-'], bundleText({ add: flows, del: [] }));
    const dump = await sb.ofctl('-O', 'OpenFlow15', '--no-stats', '--no-names', 'dump-flows', sb.mgmt(BRIDGE), `cookie=0x${OWNER_COOKIE.value.toString(16)}/0x${OWNER_COOKIE.mask.toString(16)}`);
    const sock = createConnection(mgmtSocketPath(sb.dir, BRIDGE));
    const framer = new OfFramer();
    const queue: OfMessage[] = [];
    let wake: (() => void) | undefined;
    sock.on('data', (c: Buffer) => {
      queue.push(...framer.push(c));
      wake?.();
    });
    const next = async (): Promise<OfMessage> => {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    };
    await new Promise<void>((r) => sock.on('connect', r));
    const rec: Record<string, string> = {};
    const hex = (m: OfMessage) => m.bytes.toString('hex');
    sock.write(hello(1));
    rec.hello = hex(await next());
    sock.write(message(MsgType.featuresRequest, 2));
    rec.featuresReply = hex(await next());
    sock.write(message(MsgType.echoRequest, 3, Buffer.from('nsvswitch')));
    rec.echoReply = hex(await next());
    sock.write(message(MsgType.barrierRequest, 4));
    rec.barrierReply = hex(await next());
    sock.write(message(MsgType.multipartRequest, 5, flowStatsRequestBody(OWNER_COOKIE.value, OWNER_COOKIE.mask)));
    rec.flowStatsReply = hex(await next());
    // A bundle the switch rejects: goto_table backwards (table 20 -> 10) is refused.
    const flags = OFPBF_ATOMIC | OFPBF_ORDERED;
    sock.write(message(MsgType.bundleControl, 6, bundleControlBody(7, BundleCtrl.openRequest, flags)));
    rec.bundleOpenReply = hex(await next());
    const bad = { table: 20, priority: 9, match: 'ip', actions: 'goto_table:10', cookie: OWNER_COOKIE.value };
    sock.write(message(MsgType.bundleAddMessage, 8, bundleAddBody(7, flags, message(MsgType.flowMod, 8, flowModBody(FlowModCommand.add, bad, 0n)))));
    sock.write(message(MsgType.barrierRequest, 9));
    rec.bundleAddError = hex(await next());
    await next(); // barrier reply
    sock.write(message(MsgType.bundleControl, 10, bundleControlBody(7, BundleCtrl.discardRequest, flags)));
    rec.bundleDiscardReply = hex(await next());
    sock.write(message(MsgType.bundleControl, 11, bundleControlBody(12, BundleCtrl.openRequest, flags)));
    await next();
    sock.write(message(MsgType.bundleControl, 13, bundleControlBody(12, BundleCtrl.commitRequest, flags)));
    rec.bundleCommitReply = hex(await next());
    sock.write(message(MsgType.bundleControl, 14, bundleControlBody(99, BundleCtrl.commitRequest, flags)));
    rec.bundleCommitError = hex(await next());
    sock.destroy();
    const version = (await run('ovs-vswitchd', ['--version'])).stdout.split('\n')[0]!.trim();
    await writeFile(OUT, `${JSON.stringify({ recordedWith: version, bridge: BRIDGE, ofctlDump: dump, messages: rec }, null, 2)}\n`);
    console.log(`wrote ${OUT}`);
  } finally {
    await sb.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

/**
 * Records what a real ovs-vswitchd sends to an OpenFlow 1.5 flow monitor,
 * for the monitor codec's unit tests: `npx tsx test/helpers/record-openflow-monitor.ts`
 * starts a private OVS, opens the monitor nsvswitch asks for, changes a flow
 * with ovs-ofctl (add, modify, delete), then stops reading while thousands
 * of flows are added so the switch pauses the monitor, and writes every
 * answer (hex) into
 * test/fixtures/openflow/ovs-monitor-session.json. Run once per OVS version
 * worth keeping; the tests read the file, not a switch. `ofctlPrint` is
 * ovs-ofctl's own reading of the same bytes, the oracle for the decoder.
 */
import { createConnection } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OvsSandbox } from '../../src/sandbox/ovs-sandbox.js';
import { mgmtSocketPath } from '../../src/openflow/index.js';
import { OfFramer, type OfMessage } from '../../src/openflow/native/framing.js';
import { hello, message } from '../../src/openflow/native/messages.js';
import { flowMonitorRequestBody } from '../../src/openflow/native/monitor-codec.js';
import { FlowUpdateEvent, MsgType } from '../../src/openflow/native/wire.js';
import { run } from '../../src/exec/run.js';

const OUT = fileURLToPath(new URL('../fixtures/openflow/ovs-monitor-session.json', import.meta.url));
const BRIDGE = 'br-mon';
export const RECORDED_COOKIE = 0x6e73000000000042n;
export const RECORDED_FLOW = 'table=20,priority=100,metadata=0x7,dl_dst=02:00:00:00:00:07';
/** Enough flow updates (about 100 bytes each) to pass the switch's monitor backlog limit while we do not read. */
const PAUSE_FLOWS = 20_000;

async function main(): Promise<void> {
  const sb = await OvsSandbox.start({ label: 'of-record-monitor' });
  try {
    await sb.addBridge(BRIDGE, '--', 'set', 'Bridge', BRIDGE, 'fail_mode=secure', 'protocols=OpenFlow13,OpenFlow15');
    const sock = createConnection(mgmtSocketPath(sb.dir, BRIDGE));
    const framer = new OfFramer();
    const queue: OfMessage[] = [];
    let wake: (() => void) | undefined;
    sock.on('data', (c: Buffer) => {
      queue.push(...framer.push(c));
      wake?.();
    });
    // A switch that stays silent fails the recording (and still stops the sandbox) instead of hanging.
    const next = async (): Promise<OfMessage> => {
      while (queue.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no message from the switch within 20 s')), 20_000);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return queue.shift()!;
    };
    await new Promise<void>((r) => sock.on('connect', r));
    const rec: Record<string, string> = {};
    const hex = (m: OfMessage) => m.bytes.toString('hex');
    sock.write(hello(1));
    await next();
    sock.write(message(MsgType.multipartRequest, 2, flowMonitorRequestBody(1)));
    rec.monitorReply = hex(await next());
    
    const of = (...args: string[]) => sb.ofctl('-O', 'OpenFlow15', ...args);
    await of('add-flow', sb.mgmt(BRIDGE), `cookie=0x${RECORDED_COOKIE.toString(16)},${RECORDED_FLOW},actions=output:7`);
    rec.added = hex(await next());
    await of('--strict', 'mod-flows', sb.mgmt(BRIDGE), `${RECORDED_FLOW},actions=set_field:02:00:00:00:00:08->eth_src,goto_table:30`);
    rec.modified = hex(await next());
    await of('--strict', 'del-flows', sb.mgmt(BRIDGE), RECORDED_FLOW);
    rec.deleted = hex(await next());
    // Stop reading: the updates back up in the switch until it pauses the monitor.
    sock.pause();
    const many = Array.from({ length: PAUSE_FLOWS }, (_, i) => `cookie=0x6e73000000000043,table=30,priority=10,metadata=${i + 1},actions=drop`).join('\n');
    await sb.inHost('ovs-ofctl', ['-O', 'OpenFlow15', 'add-flows', sb.mgmt(BRIDGE), '-'], `${many}\n`);
    sock.resume();
    const event = (m: OfMessage) => (m.bytes.length >= 20 ? m.bytes.readUInt16BE(18) : -1);
    for (;;) {
      const m = await next();
      if (m.type !== MsgType.multipartReply) continue;
      const e = event(m);
      if (e === FlowUpdateEvent.paused && rec.paused === undefined) rec.paused = hex(m);
      if (e === FlowUpdateEvent.resumed) {
        rec.resumed = hex(m);
        break;
      }
    }
    sock.destroy();
    // ovs-ofctl's own reading of the same bytes: the lines `ovs-ofctl monitor` prints for them.
    const ofctlPrint: Record<string, string> = {};
    for (const k of ['added', 'modified', 'deleted', 'paused', 'resumed']) ofctlPrint[k] = (await run('ovs-ofctl', ['ofp-print', rec[k]!])).stdout;
    const version = (await run('ovs-vswitchd', ['--version'])).stdout.split('\n')[0]!.trim();
    await writeFile(OUT, `${JSON.stringify({ recordedWith: version, bridge: BRIDGE, flow: RECORDED_FLOW, messages: rec, ofctlPrint }, null, 2)}\n`);
    console.log(`wrote ${OUT}`);
  } finally {
    await sb.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

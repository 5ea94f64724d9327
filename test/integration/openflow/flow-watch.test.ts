import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { OvsSandbox } from '../../../src/sandbox/ovs-sandbox.js';
import { type FlowEvent, type FlowEventsLost } from '../../../src/openflow/index.js';
import { selectFlowWatch$ } from '../../../src/openflow/native/select-flow-watch.js';
import { eventually, monitorPids } from '../../helpers/agent-env.js';
import { addSecureBridge } from './workloads.js';

// The same behaviour from both monitors: the ovs-ofctl child and the in-process OpenFlow one.
describe.each(['ofctl', 'native'] as const)('the %s flow monitor on a real ovs-vswitchd', (mode) => {
  let sb: OvsSandbox;
  let sub: Subscription | undefined;
  const bridge = 'br-fw';
  const seen: (FlowEvent | FlowEventsLost)[] = [];
  const ofctl = (...args: string[]) => sb.ofctl('-O', 'OpenFlow15', ...args);

  beforeAll(async () => {
    sb = await OvsSandbox.start({ label: `of-watch-${mode}` });
    await addSecureBridge(sb, bridge);
    sub = selectFlowWatch$(mode, { ovsRundir: sb.dir, bridge, env: sb.env }).subscribe((e) => seen.push(e));
    if (mode === 'ofctl') await eventually('the monitor running', async () => (await monitorPids(sb.mgmt(bridge))).length === 1, 10_000, 20);
  });
  afterAll(async () => {
    sub?.unsubscribe();
    await sb?.stop();
  });

  it('reports additions, modifications and deletions with table, cookie, match and actions', async () => {
    // The monitor answers its request before it reports: wait until a first change shows up.
    await eventually('the monitor reporting', async () => {
      await ofctl('add-flow', sb.mgmt(bridge), 'cookie=0x6e73000000000042,table=20,priority=100,metadata=0x7,dl_dst=02:00:00:00:00:07,actions=output:7');
      await new Promise((r) => setTimeout(r, 100));
      return seen.some((e) => e.kind === 'ADDED');
    }, 10_000, 0);
    await ofctl('--strict', 'mod-flows', sb.mgmt(bridge), 'table=20,priority=100,metadata=0x7,dl_dst=02:00:00:00:00:07,actions=drop');
    await ofctl('--strict', 'del-flows', sb.mgmt(bridge), 'table=20,priority=100,metadata=0x7,dl_dst=02:00:00:00:00:07');
    await eventually('the deletion reported', async () => seen.some((e) => e.kind === 'DELETED'), 5_000, 20);
    const mine = seen.filter((e): e is FlowEvent => e.kind !== 'LOST' && e.table === 20);
    expect(mine.at(-2)).toEqual({ kind: 'MODIFIED', table: 20, cookie: 0x6e73000000000042n, match: 'metadata=0x7,dl_dst=02:00:00:00:00:07', actions: 'drop' });
    expect(mine.at(-1)).toEqual({ kind: 'DELETED', table: 20, cookie: 0x6e73000000000042n, match: 'metadata=0x7,dl_dst=02:00:00:00:00:07', actions: 'drop' });
    expect(mine.filter((e) => e.kind === 'ADDED').every((e) => e.actions === 'output:7')).toBe(true);
  });

  it('starts no process for the native monitor', async () => {
    if (mode === 'native') expect(await monitorPids(sb.mgmt(bridge))).toHaveLength(0);
  });

  it('restarts after ovs-vswitchd restarts and says updates were lost', async () => {
    const before = await monitorPids(sb.mgmt(bridge));
    const lostBefore = seen.filter((e) => e.kind === 'LOST').length;
    await sb.kill('ovs-vswitchd');
    await sb.startVswitchd();
    await eventually('LOST after the restart', async () => seen.filter((e) => e.kind === 'LOST').length > lostBefore, 15_000, 50);
    const after = await monitorPids(sb.mgmt(bridge));
    expect(after).toHaveLength(mode === 'ofctl' ? 1 : 0);
    if (mode === 'ofctl') expect(after[0]).not.toBe(before[0]);
  });

  it('sees changes again after the restart', async () => {
    const n = seen.length;
    await eventually('an update after the restart', async () => {
      await ofctl('add-flow', sb.mgmt(bridge), 'cookie=0x6e73000000000044,table=20,priority=100,metadata=0x9,actions=drop');
      await new Promise((r) => setTimeout(r, 100));
      return seen.slice(n).some((e) => e.kind === 'ADDED' && e.cookie === 0x6e73000000000044n);
    }, 10_000, 0);
  });

  it('ends its monitor on unsubscribe: no child left, no event after it', async () => {
    expect(await monitorPids(sb.mgmt(bridge))).toHaveLength(mode === 'ofctl' ? 1 : 0);
    sub?.unsubscribe();
    sub = undefined;
    await eventually('the monitor gone', async () => (await monitorPids(sb.mgmt(bridge))).length === 0, 5_000, 20);
    const n = seen.length;
    await ofctl('add-flow', sb.mgmt(bridge), 'cookie=0x6e73000000000045,table=20,priority=100,metadata=0xa,actions=drop');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.slice(n)).toEqual([]);
  });
});

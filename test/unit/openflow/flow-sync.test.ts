import { describe, expect, it } from 'vitest';
import { FlowSync, flowKey, uniqueFlows, type Flow, type FlowChange, type FlowDriver } from '../../../src/openflow/index.js';

const f = (table: number, priority: number, match: string, actions: string): Flow => ({ table, priority, match, actions, cookie: 0x6e73000000000001n });

/** A switch table in memory: one flow per identity. */
class TableDriver implements FlowDriver {
  readonly table = new Map<string, Flow>();
  readonly applied: FlowChange[] = [];
  dump(): Promise<Flow[]> {
    return Promise.resolve([...this.table.values()]);
  }
  apply(_bridge: string, change: FlowChange): Promise<void> {
    this.applied.push(change);
    for (const x of change.del) this.table.delete(flowKey(x));
    for (const x of change.add) this.table.set(flowKey(x), x);
    return Promise.resolve();
  }
}

describe('FlowSync', () => {
  it('tells its observer the flows now on the switch: the desired ones, a later duplicate dropped', async () => {
    const driver = new TableDriver();
    const told: Flow[][] = [];
    const sync = new FlowSync(driver, { observer: { synced: (_r, installed) => told.push([...installed]), took: () => undefined } });
    const a = f(0, 100, 'in_port=1', 'output:2');
    const b = f(0, 100, 'in_port=2', 'output:1');
    const dup = f(0, 100, 'in_port=01', 'drop');
    const plain = [a, b];
    expect(await sync.sync('br0', plain)).toEqual({ added: 2, modified: 0, deleted: 0, total: 2 });
    expect(await sync.sync('br0', plain)).toEqual({ added: 0, modified: 0, deleted: 0, total: 2 });
    expect(await sync.sync('br0', [a, dup, b])).toEqual({ added: 0, modified: 0, deleted: 0, total: 2 });
    expect(told).toEqual([plain, plain, uniqueFlows([a, dup, b])]);
    expect(told[2]).toEqual([a, b]);
    expect(told[0]).not.toBe(plain); // a copy: the caller's array is the caller's
    expect(driver.applied).toHaveLength(1);
  });
});

import { from, lastValueFrom, scan, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_PASS_INPUT,
  FOLDED_START,
  foldEvent,
  foldPassInput,
  passOnInput,
  triggerOf,
  workloadJoin,
  type AgentEvent,
  type PassInput,
} from '../../../src/agent/pass-input.js';
import type { TenantSet } from '../../../src/manifests/types.js';
import { namespaceKey, type NamespaceInfo } from '../../../src/netns/types.js';
import type { RuntimeView } from '../../../src/workloads/join.js';
import type { WorkloadInfo } from '../../../src/workloads/types.js';
import { ns, tenant } from '../core/fixtures.js';

const added = (n: NamespaceInfo): AgentEvent => ({ kind: 'namespace', event: { type: 'added', ns: n } });
const removed = (n: NamespaceInfo): AgentEvent => ({ kind: 'namespace', event: { type: 'removed', ns: n } });
const fold = (events: readonly AgentEvent[], from: PassInput = EMPTY_PASS_INPUT): PassInput => events.reduce(foldPassInput, from);
const tenants = (...names: string[]): TenantSet => ({ tenants: new Map(names.map((n, i) => [n, tenant(n, 100 + i, `10.${10 + i}.0.0/24`, [`${n}-*`])])), problems: [] });

function docker(path: string): RuntimeView {
  const w = { runtime: 'docker', id: 'c'.repeat(64), name: 'web', labels: {}, netnsPath: path, networkMode: 'none', runtimeNetworked: false, state: 'running' } as unknown as WorkloadInfo;
  return { runtime: 'docker', netnsDirs: ['/run/docker/netns'], state: { runtime: 'docker', connected: true, synced: true, sinceMs: 0, workloads: new Map([[path, w]]) } };
}

describe('foldPassInput (the sources folded into one pass input)', () => {
  it('adds and removes namespaces by key; a removed key is stale', () => {
    const a = ns('blue-1', 11);
    const b = ns('blue-2', 12);
    const input = fold([added(a), added(b), removed(a)]);
    expect([...input.namespaces.keys()]).toEqual([namespaceKey(b)]);
    expect(input.namespaces.get(namespaceKey(b))).toBe(b);
    expect([...input.stale.keys()]).toEqual([namespaceKey(a)]);
  });

  it('keeps a re-created key (same path and inode) both present and stale: its veth died with the old namespace', () => {
    const a = ns('blue-1', 11);
    const input = fold([added(a), removed(a), added(a)]);
    expect([...input.namespaces.keys()]).toEqual([namespaceKey(a)]);
    expect([...input.stale.keys()]).toEqual([namespaceKey(a)]);
  });

  it('replaces the tenant set and the runtime views whole, and leaves the rest as it was', () => {
    const a = ns('blue-1', 11);
    const first = tenants('blue');
    const second = tenants('shop');
    const views = [docker('/run/docker/netns/abc')];
    const input = fold([added(a), { kind: 'tenants', set: first }, { kind: 'runtimes', views }, { kind: 'tenants', set: second }]);
    expect(input.tenants).toBe(second);
    expect(input.runtimes).toBe(views);
    expect([...input.namespaces.keys()]).toEqual([namespaceKey(a)]);
    expect(fold([{ kind: 'trigger', trigger: { reason: 'resync', full: true } }], input)).toBe(input);
  });

  it('never changes an input a pass holds: later events make new values', () => {
    const a = ns('blue-1', 11);
    const held = fold([added(a)]);
    const later = fold([removed(a), { kind: 'tenants', set: tenants('blue') }], held);
    expect([...held.namespaces.keys()]).toEqual([namespaceKey(a)]);
    expect(held.stale.size).toBe(0);
    expect(held.tenants.tenants.size).toBe(0);
    expect(later.namespaces.size).toBe(0);
  });

  it('costs O(change) per event: 10,000 namespaces fold without copying the map', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ns(`blue-${i}`, 1000 + i));
    const t0 = performance.now();
    const input = fold([...many.map(added), ...many.slice(0, 5000).map(removed)]);
    expect(input.namespaces.size).toBe(5000);
    expect(input.stale.size).toBe(5000);
    // A copy per event would take seconds here (10^8 entry copies).
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('hands the stale keys to the pass that takes them, and a restore gives them back beside keys removed meanwhile', () => {
    const a = ns('blue-1', 11);
    const b = ns('blue-2', 12);
    const before = fold([added(a), added(b), removed(a)]);
    const taken = foldPassInput(before, { kind: 'taken' });
    expect(taken.stale.size).toBe(0);
    const meanwhile = foldPassInput(taken, removed(b));
    const restored = foldPassInput(meanwhile, { kind: 'restored', stale: before.stale });
    expect([...restored.stale.keys()].sort()).toEqual([namespaceKey(a), namespaceKey(b)].sort());
  });
});

describe('passOnInput (a pass takes the input; a failed one gives its stale keys back)', () => {
  function fed(events: readonly AgentEvent[]) {
    const state = { input: fold(events) };
    const dispatch = (ev: AgentEvent): void => {
      state.input = foldPassInput(state.input, ev);
    };
    return { state, run: <T>(pass: (input: PassInput) => Promise<T>) => passOnInput(() => state.input, dispatch, pass) };
  }

  it('restores the stale keys after a failed pass, so the next pass replugs them', async () => {
    const a = ns('blue-1', 11);
    const f = fed([added(a), removed(a), added(a)]);
    let seen: string[] = [];
    await expect(f.run(async (input) => {
      seen = [...input.stale.keys()];
      expect(f.state.input.stale.size).toBe(0);
      throw new Error('OVSDB connection lost');
    })).rejects.toThrow('OVSDB connection lost');
    expect(seen).toEqual([namespaceKey(a)]);
    expect([...f.state.input.stale.keys()]).toEqual([namespaceKey(a)]);
  });

  it('drops the stale keys of a pass that went through, but not those removed while it ran', async () => {
    const a = ns('blue-1', 11);
    const b = ns('blue-2', 12);
    const f = fed([added(a), added(b), removed(a)]);
    await f.run(async () => {
      f.state.input = foldPassInput(f.state.input, removed(b));
      return 'ok';
    });
    expect([...f.state.input.stale.keys()]).toEqual([namespaceKey(b)]);
    expect([...f.state.input.namespaces.keys()]).toEqual([]);
  });
});

describe('triggers and the scan', () => {
  it('asks for a pass per source event, none for the pass loop bookkeeping', () => {
    expect(triggerOf(added(ns('blue-1', 11)))).toEqual({ reason: 'namespace' });
    expect(triggerOf({ kind: 'tenants', set: tenants() })).toEqual({ reason: 'tenants' });
    expect(triggerOf({ kind: 'runtimes', views: [] })).toEqual({ reason: 'workloads' });
    expect(triggerOf({ kind: 'trigger', trigger: { reason: 'flows-lost', full: true } })).toEqual({ reason: 'flows-lost', full: true });
    expect(triggerOf({ kind: 'taken' })).toBeUndefined();
    expect(triggerOf({ kind: 'restored', stale: new Map() })).toBeUndefined();
  });

  it('emits each trigger with the input that already holds its event', async () => {
    const a = ns('blue-1', 11);
    const steps = await lastValueFrom(from([added(a), { kind: 'tenants', set: tenants('blue') } as AgentEvent, { kind: 'taken' } as AgentEvent]).pipe(scan(foldEvent, FOLDED_START), toArray()));
    expect(steps.map((s) => s.trigger?.reason)).toEqual(['namespace', 'tenants', undefined]);
    expect(steps[0]!.input.namespaces.has(namespaceKey(a))).toBe(true);
    expect(steps[1]!.input.tenants.tenants.has('blue')).toBe(true);
  });
});

describe('workloadJoin', () => {
  it('joins a namespace path to the runtime that lists it, normalised as the runtimes spell paths', () => {
    const input = fold([{ kind: 'runtimes', views: [docker('/run/docker/netns/abc')] }]);
    const join = workloadJoin(input, (p) => p.replace('/var/run/', '/run/'));
    expect(join({ path: '/var/run/docker/netns/abc' })).toMatchObject({ kind: 'known', workload: { name: 'web' } });
    expect(join({ path: '/run/netns/blue-1' })).toEqual({ kind: 'none' });
    expect(workloadJoin(EMPTY_PASS_INPUT)({ path: '/run/docker/netns/abc' })).toEqual({ kind: 'none' });
  });
});

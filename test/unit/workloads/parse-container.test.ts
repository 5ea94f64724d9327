import { describe, expect, it } from 'vitest';
import { foldState, listedIds, parseContainer, parseEvent } from '../../../src/workloads/docker/parse-container.js';
import { joinWorkload } from '../../../src/workloads/join.js';

const ID = 'b532ac2d76be7c21bc508caea81188d6cd175048a250b24cda0810afa457ba6d';

function inspect(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: ID, Name: '/web1', Config: { Labels: { tenant: 'blue' } }, HostConfig: { NetworkMode: 'default' },
    State: { Status: 'running' }, NetworkSettings: { SandboxKey: '/var/run/docker/netns/c13689066261' }, ...o,
  };
}

describe('Docker inspect answers (untrusted)', () => {
  it('reads name, labels, network mode, state and the namespace file', () => {
    const p = parseContainer(inspect(), (x) => x.replace('/var/run/', '/run/'));
    expect(p).toEqual({ ok: true, workload: { runtime: 'docker', id: ID, name: 'web1', labels: { tenant: 'blue' }, netnsPath: '/run/docker/netns/c13689066261', networkMode: 'default', runtimeNetworked: true, state: 'running' } });
    const none = parseContainer(inspect({ HostConfig: { NetworkMode: 'none' } }));
    expect(none.ok && none.workload.runtimeNetworked).toBe(false);
  });

  it('folds Docker states', () => {
    expect(['running', 'paused', 'created', 'restarting', 'exited', 'dead', 'removing', 42].map(foldState)).toEqual(['running', 'running', 'starting', 'starting', 'stopped', 'stopped', 'stopped', 'stopped']);
  });

  it.each([
    ['not an object', 'x', 'not an object'],
    ['a bad id', inspect({ Id: '../../x' }), 'no valid Id'],
    ['a name with a slash', inspect({ Name: '/a/b' }), 'Name is empty, too long or holds "/" or control characters'],
    ['a name with an escape', inspect({ Name: '/a\u001b[2J' }), 'Name is empty, too long or holds "/" or control characters'],
    ['a non-string label', inspect({ Config: { Labels: { a: 1 } } }), 'a label value is not a string'],
    ['too many labels', inspect({ Config: { Labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 'v'])) } }), 'more than 256 labels'],
    ['a huge label', inspect({ Config: { Labels: { a: 'x'.repeat(5000) } } }), 'a label is longer than allowed'],
    ['a relative SandboxKey', inspect({ NetworkSettings: { SandboxKey: 'netns/x' } }), 'NetworkSettings.SandboxKey is not a clean absolute path'],
    ['a SandboxKey with ..', inspect({ NetworkSettings: { SandboxKey: '/run/docker/netns/../../etc' } }), 'NetworkSettings.SandboxKey is not a clean absolute path'],
    ['a stopped container', inspect({ State: { Status: 'exited' }, NetworkSettings: { SandboxKey: '' } }), 'no namespace (not running)'],
    ['the host network', inspect({ HostConfig: { NetworkMode: 'host' } }), 'uses the host network'],
    ['another container\'s namespace', inspect({ HostConfig: { NetworkMode: `container:${ID}` } }), `shares the namespace of container:${ID}`],
  ])('refuses %s', (_what, v, reason) => {
    const p = parseContainer(v);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason).toBe(reason);
  });

  it('keeps labels as data in a null-prototype record', () => {
    const p = parseContainer(JSON.parse(`{"Id":"${ID}","Name":"/w","Config":{"Labels":{"__proto__":"x","constructor":"y"}},"HostConfig":{"NetworkMode":"none"},"State":{"Status":"running"},"NetworkSettings":{"SandboxKey":"/run/docker/netns/a"}}`));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(Object.getPrototypeOf(p.workload.labels)).toBeNull();
    expect(p.workload.labels.__proto__).toBe('x');
    expect(Object.keys(p.workload.labels)).toEqual(['__proto__', 'constructor']);
  });

  it('listings and events are bounded and typed', () => {
    expect(listedIds([{ Id: ID }, { Id: 'bad' }, 7, { Id: ID.replace('b', 'c') }], 10)).toEqual({ ids: [ID, ID.replace('b', 'c')], truncated: false });
    expect(listedIds([{ Id: ID }, { Id: ID }, { Id: ID }], 2)).toEqual({ ids: [ID, ID], truncated: true });
    expect(listedIds({ not: 'a list' }, 2)).toEqual({ ids: [], truncated: false });
    expect(parseEvent({ Type: 'container', Action: 'die', Actor: { ID } })).toEqual({ action: 'die', id: ID });
    expect(parseEvent({ Type: 'network', Action: 'connect', Actor: { ID } })).toBeUndefined();
    expect(parseEvent({ Type: 'container', Action: 'die', Actor: { ID: '; rm -rf /' } })).toBeUndefined();
  });
});

describe('joinWorkload', () => {
  const w = parseContainer(inspect());
  const workload = w.ok ? w.workload : undefined!;
  const state = { runtime: 'docker', connected: true, synced: true, sinceMs: 0, workloads: new Map([[workload.netnsPath, workload]]) };
  const views = [{ runtime: 'docker', netnsDirs: ['/var/run/docker/netns'], state }];
  it('known by path, unknown in the runtime\'s directory, plain elsewhere', () => {
    expect(joinWorkload('/var/run/docker/netns/c13689066261', views)).toEqual({ kind: 'known', workload });
    expect(joinWorkload('/var/run/docker/netns/other', views)).toEqual({ kind: 'unknown', runtime: 'docker', connected: true, synced: true });
    expect(joinWorkload('/var/run/docker/netns/sub/x', views)).toEqual({ kind: 'none' });
    expect(joinWorkload('/run/netns/blue-1', views)).toEqual({ kind: 'none' });
  });
});

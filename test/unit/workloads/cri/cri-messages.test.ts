import { describe, expect, it } from 'vitest';
import { ProtoError, ProtoWriter, readFields } from '../../../../src/workloads/cri/proto-wire.js';
import {
  CRI_LIMITS, decodeContainerEvent, decodeListPodSandbox, decodePodSandboxStatus, encodePodSandboxStatus, encodeRunPodSandbox,
} from '../../../../src/workloads/cri/cri-messages.js';

/** A PodSandbox (list item): id 1, metadata 2, state 3, labels 5, annotations 6. */
function item(id: string, o: { ns?: string; name?: string; state?: number; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): ProtoWriter {
  return new ProtoWriter()
    .string(1, id)
    .message(2, new ProtoWriter().string(1, o.name ?? 'web').string(2, 'uid-1').string(3, o.ns ?? 'default'))
    .uint(3, o.state ?? 0)
    .map(5, o.labels)
    .map(6, o.annotations);
}

describe('CRI messages (hand-written protobuf codec)', () => {
  it('reads a listing: ids, metadata, state (ready is the proto3 default, left out), labels as null-prototype data', () => {
    const buf = new ProtoWriter()
      .message(1, item('a'.repeat(64), { labels: { app: 'web', __proto__x: '1' } }))
      .message(1, item('b'.repeat(64), { state: 1, ns: 'team-b', name: 'db' }))
      .string(9, 'an unknown field is skipped')
      .finish();
    const { items, truncated } = decodeListPodSandbox(buf);
    expect(truncated).toBe(false);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ id: 'a'.repeat(64), state: 0, metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 } });
    expect({ ...items[0]!.labels }).toEqual({ app: 'web', __proto__x: '1' });
    expect(Object.getPrototypeOf(items[0]!.labels)).toBeNull();
    expect(items[1]).toMatchObject({ state: 1, metadata: { namespace: 'team-b', name: 'db' } });
  });

  it('"__proto__" is a label like any other', () => {
    const w = new ProtoWriter().message(1, new ProtoWriter().string(1, 'x').message(5, new ProtoWriter().string(1, '__proto__').string(2, 'v'))).finish();
    const l = decodeListPodSandbox(w).items[0]!.labels;
    expect(Object.keys(l)).toEqual(['__proto__']);
    expect(l['__proto__']).toBe('v');
  });

  it('a pod beyond a bound is reported (its id kept), the others read', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i <= CRI_LIMITS.labels; i++) many[`k${i}`] = 'v';
    const buf = new ProtoWriter()
      .message(1, item('big', { labels: many }))
      .message(1, item('long', { labels: { a: 'x'.repeat(CRI_LIMITS.labelValue + 1) } }))
      .message(1, item('fine'))
      .finish();
    const { items } = decodeListPodSandbox(buf);
    expect(items.map((i) => [i.id, i.fault])).toEqual([
      ['big', `more than ${CRI_LIMITS.labels} labels`],
      ['long', 'the value of labels "a" is longer than 4096 characters'],
      ['fine', undefined],
    ]);
  });

  it('reads at most the configured number of pods and says so', () => {
    const w = new ProtoWriter();
    for (let i = 0; i < 5; i++) w.message(1, item(`p${i}`));
    const r = decodeListPodSandbox(w.finish(), 3);
    expect(r.items).toHaveLength(3);
    expect(r.truncated).toBe(true);
  });

  it('refuses malformed wire data: truncated lengths, overlong varints, groups, wrong wire types', () => {
    const good = new ProtoWriter().message(1, item('a')).finish();
    expect(() => decodeListPodSandbox(good.subarray(0, good.length - 3))).toThrow(ProtoError);
    expect(() => [...readFields(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))]).toThrow(/varint/);
    expect(() => [...readFields(Buffer.from([0x0b]))]).toThrow(/wire type 3/);
    expect(() => [...readFields(Buffer.from([0x00]))]).toThrow(/field number 0/);
    // A known field with the wrong wire type (items as a varint) is malformed, not skipped.
    expect(() => decodeListPodSandbox(Buffer.from([0x08, 0x01]))).toThrow(/items: not a message/);
  });

  it('reads a verbose status: network namespace mode, labels 7, annotations 8, the info map', () => {
    const status = new ProtoWriter()
      .string(1, 'abc')
      .message(2, new ProtoWriter().string(1, 'web').string(2, 'u').string(3, 'team-a').uint(4, 2))
      .uint(3, 1)
      .message(6, new ProtoWriter().message(1, new ProtoWriter().message(2, new ProtoWriter().uint(1, 2))))
      .map(7, { app: 'web' })
      .map(8, { 'k8s.v1.cni.cncf.io/networks': 'blue' });
    const buf = new ProtoWriter().message(1, status).map(2, { info: '{"a":1}' }).finish();
    const a = decodePodSandboxStatus(buf);
    expect(a.status).toMatchObject({ id: 'abc', state: 1, networkMode: 2, metadata: { attempt: 2, namespace: 'team-a' } });
    expect({ ...a.status!.labels }).toEqual({ app: 'web' });
    expect({ ...a.status!.annotations }).toEqual({ 'k8s.v1.cni.cncf.io/networks': 'blue' });
    expect({ ...a.info }).toEqual({ info: '{"a":1}' });
  });

  it('reads a container event with its sandbox id', () => {
    const buf = new ProtoWriter().string(1, 'c1').uint(2, 2).message(4, new ProtoWriter().string(1, 'sb1')).finish();
    expect(decodeContainerEvent(buf)).toEqual({ containerId: 'c1', type: 'stopped', sandboxId: 'sb1' });
  });

  it('encodes requests with the CRI field numbers', () => {
    expect([...readFields(encodePodSandboxStatus('id1', true))].map((f) => f.no)).toEqual([1, 2]);
    const run = encodeRunPodSandbox({ name: 'web', namespace: 'team-a', uid: 'u1', labels: { a: 'b' }, annotations: { c: 'd' } });
    const [config] = [...readFields(run)];
    expect(config!.no).toBe(1);
    const fields = [...readFields((config as { b: Buffer }).b)].map((f) => f.no);
    expect(fields).toEqual([1, 2, 6, 7, 8]);
  });
});

import { describe, expect, it } from 'vitest';
import { joinWorkload } from '../../../../src/workloads/join.js';
import { isPodNetnsName } from '../../../../src/workloads/cri/cri-source.js';

describe('a CRI runtime claims only its own names in the shared /run/netns', () => {
  const view = { runtime: 'cri', netnsDirs: ['/run/netns'], claims: isPodNetnsName, state: { runtime: 'cri', connected: true, synced: true, sinceMs: 0, workloads: new Map() } };

  it('containerd cni-<uuid> and CRI-O <uuid> files wait for the runtime; ip netns names stay plain namespaces', () => {
    expect(isPodNetnsName('cni-3ef21ea5-6c45-1735-5f13-9bd7b3705d53')).toBe(true);
    expect(isPodNetnsName('3ef21ea5-6c45-1735-5f13-9bd7b3705d53')).toBe(true);
    expect(isPodNetnsName('blue-1')).toBe(false);
    expect(isPodNetnsName('cni-blue')).toBe(false);
    expect(joinWorkload('/run/netns/cni-3ef21ea5-6c45-1735-5f13-9bd7b3705d53', [view])).toMatchObject({ kind: 'unknown', runtime: 'cri' });
    expect(joinWorkload('/run/netns/blue-1', [view])).toEqual({ kind: 'none' });
  });
});

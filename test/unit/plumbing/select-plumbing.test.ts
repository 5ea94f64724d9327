import { describe, expect, it } from 'vitest';
import { IpPlumbing, NativePlumbingUnavailableError, NetlinkPlumbing, selectPlumbing } from '../../../src/plumbing/index.js';
import type { NativeAddon } from '../../../src/native/native.js';

const none = () => ({ addon: undefined, reason: 'NSVSWITCH_NATIVE=off' });
const old = () => ({ addon: { setTxChecksum: () => undefined } as unknown as NativeAddon, reason: 'loaded' });
const full = () => ({ addon: { rtnlOpen: () => 3, rtnlConfigure: () => null } as unknown as NativeAddon, reason: 'loaded' });

describe('selectPlumbing', () => {
  it('auto: in-process netlink when the addon has it, else processes with the reason', () => {
    expect(selectPlumbing('auto', {}, full)).toMatchObject({ path: 'netlink' });
    expect(selectPlumbing('auto', {}, full).plumbing).toBeInstanceOf(NetlinkPlumbing);
    const fallback = selectPlumbing('auto', {}, none);
    expect(fallback).toMatchObject({ path: 'process', reason: 'native addon not used (NSVSWITCH_NATIVE=off)' });
    expect(fallback.plumbing).not.toBeInstanceOf(NetlinkPlumbing);
    expect(selectPlumbing('auto', {}, old)).toMatchObject({ path: 'process', reason: expect.stringMatching(/without rtnetlink/) });
  });

  it('process: always processes, even with the addon', () => {
    const s = selectPlumbing('process', {}, full);
    expect(s.path).toBe('process');
    expect(s.plumbing).toBeInstanceOf(IpPlumbing);
    expect(s.plumbing).not.toBeInstanceOf(NetlinkPlumbing);
  });

  it('native: refuses to fall back silently', () => {
    expect(selectPlumbing('native', {}, full).path).toBe('netlink');
    expect(() => selectPlumbing('native', {}, none)).toThrow(NativePlumbingUnavailableError);
    expect(() => selectPlumbing('native', {}, none)).toThrow('plumbing: native, but native addon not used (NSVSWITCH_NATIVE=off)');
  });
});

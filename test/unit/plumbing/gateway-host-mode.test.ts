import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../../src/native/native.js';
import { NativePlumbingUnavailableError, NftGatewayHost } from '../../../src/plumbing/index.js';
import { hasTableDigest } from '../../../src/plumbing/gateway/netlink-digest.js';

/** How the gateway host picks the full sync's check of its table: the host guard's `auto`/`native`/`process` selection. */
describe('NftGatewayHost: in-process table check selection', () => {
  const withNft = { nftNetdevChains: () => [], nftCounters: () => [] } as unknown as NativeAddon;
  const withDigest = { ...withNft, nftTableDigest: () => null } as unknown as NativeAddon;
  const withoutNft = { setTxChecksum: () => undefined } as unknown as NativeAddon;
  const base = { bridge: 'br0' };

  it('auto: in-process when the addon can digest a table; an older addon or none lists with nft', () => {
    expect(hasTableDigest(withDigest)).toBe(true);
    expect(hasTableDigest(withNft)).toBe(false);
    expect(new NftGatewayHost({ ...base, native: withDigest }).checkInProcess).toBe(true);
    expect(new NftGatewayHost({ ...base, native: withNft }).checkInProcess).toBe(false);
    expect(new NftGatewayHost({ ...base, native: withoutNft }).checkInProcess).toBe(false);
    expect(new NftGatewayHost({ ...base, native: null }).checkInProcess).toBe(false);
  });

  it('process: always nft, even with the addon', () => {
    expect(new NftGatewayHost({ ...base, native: withDigest, nftables: 'process' }).checkInProcess).toBe(false);
  });

  it('native: refuses to start without nf_tables in the addon; an addon built before the digest lists with nft', () => {
    expect(new NftGatewayHost({ ...base, native: withDigest, nftables: 'native' }).checkInProcess).toBe(true);
    expect(new NftGatewayHost({ ...base, native: withNft, nftables: 'native' }).checkInProcess).toBe(false);
    expect(() => new NftGatewayHost({ ...base, native: withoutNft, nftables: 'native' })).toThrow(NativePlumbingUnavailableError);
    expect(() => new NftGatewayHost({ ...base, native: null, nftables: 'native' })).toThrow(/plumbing: native, but native addon not used/);
  });
});

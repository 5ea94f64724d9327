import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../../src/native/native.js';
import { NativePlumbingUnavailableError, NftGatewayHost } from '../../../src/plumbing/index.js';
import { hasTableDigest } from '../../../src/plumbing/gateway/netlink-digest.js';
import { hasInterfaceReads } from '../../../src/plumbing/gateway/netlink-interfaces.js';

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

  describe('the interface side (forwarding, sysctls, addresses): the same selection, following the nftables mode unless set', () => {
    const reads = { readNetnsFiles: () => [], writeNetnsFiles: () => null, rtnlLinkAddrs: () => [] };
    const full = { ...withDigest, ...reads } as unknown as NativeAddon;
    const olderWriter = { ...withDigest, writeNetnsFile: () => undefined } as unknown as NativeAddon;

    it('auto: in-process when the addon reads sysctl files and links with addresses; an older addon or none runs sysctl and ip', () => {
      expect(hasInterfaceReads(full)).toBe(true);
      expect(hasInterfaceReads(olderWriter)).toBe(false);
      expect(hasInterfaceReads({ ...reads, rtnlLinkAddrs: undefined } as unknown as NativeAddon)).toBe(false);
      expect(new NftGatewayHost({ ...base, native: full }).interfacesInProcess).toBe(true);
      expect(new NftGatewayHost({ ...base, native: olderWriter }).interfacesInProcess).toBe(false);
      expect(new NftGatewayHost({ ...base, native: null }).interfacesInProcess).toBe(false);
    });

    it('process: always sysctl and ip; `interfaces` set apart from `nftables` rules only the interface side', () => {
      expect(new NftGatewayHost({ ...base, native: full, nftables: 'process' }).interfacesInProcess).toBe(false);
      const split = new NftGatewayHost({ ...base, native: full, nftables: 'process', interfaces: 'auto' });
      expect({ table: split.checkInProcess, interfaces: split.interfacesInProcess }).toEqual({ table: false, interfaces: true });
      expect(new NftGatewayHost({ ...base, native: full, interfaces: 'process' }).interfacesInProcess).toBe(false);
    });

    it('native: refuses to start without the addon; an addon built before the interface reads runs sysctl and ip', () => {
      expect(new NftGatewayHost({ ...base, native: full, nftables: 'native' }).interfacesInProcess).toBe(true);
      expect(new NftGatewayHost({ ...base, native: olderWriter, nftables: 'native' }).interfacesInProcess).toBe(false);
      expect(() => new NftGatewayHost({ ...base, native: null, nftables: 'process', interfaces: 'native' })).toThrow(/plumbing: native, but native addon not used/);
    });
  });
});

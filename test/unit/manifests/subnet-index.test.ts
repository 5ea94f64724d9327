import { describe, expect, it } from 'vitest';
import { SubnetIndex } from '../../../src/manifests/subnet-index.js';

// A toy family: an 8-bit address, keyed as "network/len".
const keyAt = (address: number) => (len: number) => `${(address >> (8 - len)) << (8 - len)}/${len}`;
const ref = (name: string) => ({ name, removed: false });

describe('SubnetIndex', () => {
  it('finds a subnet that contains the candidate, lies inside it, or equals it', () => {
    const idx = new SubnetIndex<string, ReturnType<typeof ref>>();
    const wide = ref('wide');
    idx.add(keyAt(0b1000_0000), 2, wide); // 128/2
    expect(idx.overlap(keyAt(0b1000_0000), 4)?.name).toBe('wide'); // inside it
    expect(idx.overlap(keyAt(0b1000_0000), 1)?.name).toBe('wide'); // contains it
    expect(idx.overlap(keyAt(0b1000_0000), 2)?.name).toBe('wide'); // equal
    expect(idx.overlap(keyAt(0b0100_0000), 2)).toBeUndefined(); // beside it
  });

  it('forgets a removed entry: its exact key at once, its inner prefixes lazily', () => {
    const idx = new SubnetIndex<string, ReturnType<typeof ref>>();
    const narrow = ref('narrow');
    idx.add(keyAt(0b1010_0000), 4, narrow);
    expect(idx.overlap(keyAt(0b1000_0000), 1)?.name).toBe('narrow');
    narrow.removed = true;
    idx.remove(keyAt(0b1010_0000)(4), narrow);
    expect(idx.overlap(keyAt(0b1000_0000), 1)).toBeUndefined();
    expect(idx.overlap(keyAt(0b1010_0000), 4)).toBeUndefined();
  });
});

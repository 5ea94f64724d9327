import { describe, expect, it } from 'vitest';
import { parseContenders, parsePositiveInts } from '../../../../../bench/lib/burst/args.js';

describe('parsePositiveInts', () => {
  it('reads a comma-separated list', () => {
    expect(parsePositiveInts('--n', '100, 1000')).toEqual([100, 1000]);
  });

  it.each(['', '0', '10,x', '-5', '1.5'])('rejects %j naming the flag', (text) => {
    expect(() => parsePositiveInts('--n', text)).toThrow(/--n/);
  });
});

describe('parseContenders', () => {
  it('keeps the order given and drops repeats', () => {
    expect(parseContenders('floor,peer,floor')).toEqual(['floor', 'peer']);
  });

  it('rejects unknown names and an empty list', () => {
    expect(() => parseContenders('peer,docker')).toThrow(/unknown contender "docker"/);
    expect(() => parseContenders('')).toThrow(/none given/);
  });
});

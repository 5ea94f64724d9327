import { describe, expect, it } from 'vitest';
import { parseBatchErrors, plainReason } from '../../../src/plumbing/batch-errors.js';

describe('parseBatchErrors', () => {
  it('attributes each message to the batch line ip names after it', () => {
    // Captured from iproute2 6.1 `ip -force -batch -`.
    const stderr = 'RTNETLINK answers: File exists\nCommand failed -:2\nCannot find device "nothere"\nCommand failed -:4\n';
    const e = parseBatchErrors(stderr);
    expect([...e.byLine]).toEqual([[2, 'RTNETLINK answers: File exists'], [4, 'Cannot find device "nothere"']]);
    expect(e.trailing).toBe('');
  });

  it('keeps a fatal message that ended ip early as trailing text', () => {
    const e = parseBatchErrors('Cannot find device "x"\nCommand failed -:1\nError: argument "/nonexist" is wrong: Invalid "netns" value\n\n');
    expect(e.byLine.get(1)).toBe('Cannot find device "x"');
    expect(e.trailing).toBe('Error: argument "/nonexist" is wrong: Invalid "netns" value');
  });

  it('joins several message lines of one command', () => {
    expect(parseBatchErrors('Error: a\nError: b\nCommand failed -:1\n').byLine.get(1)).toBe('Error: a; Error: b');
  });

  it('returns nothing for clean stderr', () => {
    const e = parseBatchErrors('');
    expect(e.byLine.size).toBe(0);
    expect(e.trailing).toBe('');
  });

  it('plainReason drops the netlink prefix', () => {
    expect(plainReason('RTNETLINK answers: File exists')).toBe('File exists');
    expect(plainReason('Error: Nexthop has invalid gateway.')).toBe('Nexthop has invalid gateway.');
    expect(plainReason('Cannot find device "x"')).toBe('Cannot find device "x"');
  });
});

import { describe, expect, it } from 'vitest';
import { requestPath } from '../../../src/observe/http-server.js';

describe('requestPath', () => {
  it('returns the path of an origin-form target, without query or fragment', () => {
    expect(requestPath('/status')).toBe('/status');
    expect(requestPath('/status?x=1')).toBe('/status');
    expect(requestPath('//status')).toBe('//status');
    expect(requestPath('/a%20b')).toBe('/a%20b');
  });

  it('refuses what is not a path, what does not decode, and control characters', () => {
    for (const bad of [undefined, '', '*', 'http://x/status', '//%00%ff/../status', '/%ff', '/%zz', '/%00', '/a%0ab']) {
      expect(requestPath(bad), String(bad)).toBeUndefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { parseListen, DEFAULT_HTTP_LISTEN } from '../../../src/observe/http-server.js';
import { HttpListenError } from '../../../src/observe/http-listen-error.js';

describe('parseListen', () => {
  it('splits host:port, [v6]:port and a bare port (loopback)', () => {
    expect(parseListen(DEFAULT_HTTP_LISTEN)).toEqual({ host: '127.0.0.1', port: 9476 });
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
    expect(parseListen('[::1]:9476')).toEqual({ host: '::1', port: 9476 });
    expect(parseListen('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListen('9476')).toEqual({ host: '127.0.0.1', port: 9476 });
  });

  it.each([':9476', '127.0.0.1:', '127.0.0.1:65536', '::1:9476', 'a b:1', '', 'host:port'])('rejects %j', (text) => {
    expect(() => parseListen(text)).toThrow(HttpListenError);
  });
});

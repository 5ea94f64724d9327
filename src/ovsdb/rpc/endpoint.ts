import { connect, type Socket } from 'node:net';
import { OvsdbConnectError } from '../errors/ovsdb-connect-error.js';

export type EndpointAddress = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Parses `unix:PATH` or `tcp:HOST:PORT` (IPv6 as `tcp:[::1]:6640`), the forms ovs-vsctl --db takes. */
export function parseEndpoint(endpoint: string): EndpointAddress {
  if (endpoint.startsWith('unix:') && endpoint.length > 5) return { kind: 'unix', path: endpoint.slice(5) };
  const m = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(endpoint);
  if (m) {
    const port = Number(m[3]);
    if (port > 0 && port < 65536) return { kind: 'tcp', host: (m[1] ?? m[2])!, port };
  }
  throw new OvsdbConnectError(endpoint, 'endpoint must be unix:PATH or tcp:HOST:PORT');
}

/** Opens one socket to the endpoint; rejects on the first error. */
export function openSocket(endpoint: string): Promise<Socket> {
  const addr = parseEndpoint(endpoint);
  return new Promise((resolve, reject) => {
    const socket = addr.kind === 'unix' ? connect({ path: addr.path }) : connect({ host: addr.host, port: addr.port });
    const onError = (err: Error): void => {
      socket.destroy();
      reject(new OvsdbConnectError(endpoint, err.message, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay?.(true);
      resolve(socket);
    });
  });
}

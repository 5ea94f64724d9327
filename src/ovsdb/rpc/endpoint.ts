import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { OvsdbConnectError } from '../errors/ovsdb-connect-error.js';

export type EndpointAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp' | 'ssl'; readonly host: string; readonly port: number };

/** Key, certificate and CA for `ssl:` remotes (PEM contents), as ovsdb-server's --private-key/--certificate/--ca-cert. */
export interface TlsMaterial {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer;
  /** Name checked against the server certificate; default: the remote's host. OVS certificates often carry no host name: set `checkServerIdentity` false then. */
  readonly servername?: string;
  /** Verify the certificate's host name (the CA is always verified). Default false, as OVS does. */
  readonly checkServerIdentity?: boolean;
}

/** Parses `unix:PATH`, `tcp:HOST:PORT` or `ssl:HOST:PORT` (IPv6 as `tcp:[::1]:6640`), the forms ovs-vsctl --db takes. */
export function parseEndpoint(endpoint: string): EndpointAddress {
  if (endpoint.startsWith('unix:') && endpoint.length > 5) return { kind: 'unix', path: endpoint.slice(5) };
  const m = /^(tcp|ssl):(?:\[([^\]]+)\]|([^:,]+)):(\d{1,5})$/.exec(endpoint);
  if (m) {
    const port = Number(m[4]);
    if (port > 0 && port < 65536) return { kind: m[1] as 'tcp' | 'ssl', host: (m[2] ?? m[3])!, port };
  }
  throw new OvsdbConnectError(endpoint, 'endpoint must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT');
}

/**
 * Splits a remote list: an array, or one string with remotes separated by
 * commas (`unix:/a.sock,tcp:127.0.0.1:6641`, as ovn-nbctl --db takes). Every
 * entry is checked; an empty list is refused.
 */
export function parseRemotes(remotes: string | readonly string[]): string[] {
  const list = (typeof remotes === 'string' ? remotes.split(',') : [...remotes]).map((r) => r.trim()).filter((r) => r.length > 0);
  if (list.length === 0) throw new OvsdbConnectError(String(remotes), 'no remote given');
  for (const r of list) parseEndpoint(r);
  return list;
}

/** Opens one socket to the endpoint; rejects on the first error (or after timeoutMs). */
export function openSocket(endpoint: string, tls?: TlsMaterial, timeoutMs = 10_000): Promise<Socket> {
  const addr = parseEndpoint(endpoint);
  if (addr.kind === 'ssl' && !tls) return Promise.reject(new OvsdbConnectError(endpoint, 'ssl: remote without key, certificate and CA (option tls)'));
  return new Promise((resolve, reject) => {
    let socket: Socket;
    let readyEvent = 'connect';
    if (addr.kind === 'unix') socket = connect({ path: addr.path });
    else if (addr.kind === 'tcp') socket = connect({ host: addr.host, port: addr.port });
    else {
      readyEvent = 'secureConnect';
      socket = tlsConnect({
        host: addr.host,
        port: addr.port,
        key: tls!.key,
        cert: tls!.cert,
        ca: tls!.ca,
        servername: tls!.servername,
        rejectUnauthorized: true,
        ...(tls!.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
      });
    }
    const timer = setTimeout(() => onError(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new OvsdbConnectError(endpoint, err.message, { cause: err }));
    };
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay?.(true);
      resolve(socket);
    });
  });
}

import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';

/**
 * At most `max` open connections to a server. A connection arriving at the
 * cap evicts the oldest one with no request in progress (an idle keep-alive
 * connection, or one that never sent a complete request), so a flood of idle
 * sockets cannot lock out a probe: the newest connection gets in, and the
 * open descriptors stay at `max`. Only when every connection is busy is the
 * newcomer refused.
 */
export class ConnectionCap {
  /** Insertion order is age order: the first idle entry is the oldest idle connection. */
  private readonly conns = new Map<Socket, { requests: number }>();
  evicted = 0;
  refused = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`connection cap must be a positive integer, got ${max}`);
  }

  get size(): number {
    return this.conns.size;
  }

  /** On 'connection': admits the socket, evicting the oldest idle one when at the cap. False when the socket was refused. */
  admit(socket: Socket): boolean {
    if (this.conns.size >= this.max) {
      let victim: Socket | undefined;
      for (const [s, state] of this.conns) {
        if (state.requests === 0) {
          victim = s;
          break;
        }
      }
      if (!victim) {
        this.refused++;
        socket.destroy();
        return false;
      }
      this.conns.delete(victim);
      this.evicted++;
      victim.destroy();
    }
    this.conns.set(socket, { requests: 0 });
    socket.once('close', () => this.conns.delete(socket));
    return true;
  }

  /** On 'request': the connection is busy until the response is finished or aborted. */
  busy(socket: Socket, res: ServerResponse): void {
    const state = this.conns.get(socket);
    if (!state) return;
    state.requests++;
    res.once('close', () => {
      state.requests--;
    });
  }
}

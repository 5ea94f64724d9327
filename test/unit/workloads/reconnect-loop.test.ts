import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkHealth } from '../../../src/workloads/link-health.js';
import { ReconnectLoop } from '../../../src/workloads/reconnect-loop.js';
import { RuntimeApiError } from '../../../src/workloads/errors/runtime-api-error.js';
import { silentLogger } from '../../../src/observe/logger.js';

const refused = (): RuntimeApiError => new RuntimeApiError('fake', 'unreachable', '/x', 'ECONNREFUSED');

/** A loop whose sessions run `session` (default: fail at once), counting sessions, emits and closed streams. */
function loop(session?: (g: number, l: ReconnectLoop) => Promise<void>) {
  const health = new LinkHealth('fake', { retryMinMs: 100, retryMaxMs: 400 });
  const seen = { sessions: [] as number[], emits: 0, closed: 0 };
  const l: ReconnectLoop = new ReconnectLoop({
    health, log: silentLogger(),
    outage: { warning: 'down', quiet: 'still down', known: () => ({ things: 0 }) },
    session: async (g) => {
      seen.sessions.push(g);
      if (session) return session(g, l);
      throw refused();
    },
    emit: () => void seen.emits++,
  });
  const stream = () => ({ close: () => void seen.closed++ });
  return { l, health, seen, stream };
}

describe('ReconnectLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a failed connection is reported and tried again after a growing backoff', async () => {
    const { l, health, seen } = loop();
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.sessions).toHaveLength(1);
    expect(seen.emits).toBe(1);
    expect(health.error).toContain('ECONNREFUSED');
    await vi.advanceTimersByTimeAsync(99);
    expect(seen.sessions).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.sessions).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(seen.sessions).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.sessions).toHaveLength(3);
    l.stop();
  });

  it('closes the lost connection\'s stream; a late answer of an older connection changes nothing', async () => {
    let fail: ((err: unknown) => void) | undefined;
    const { l, seen, stream } = loop((g, self) => {
      expect(self.attach(g, stream())).toBe(true);
      return new Promise((_, reject) => (fail = reject));
    });
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = l.generation;
    expect(l.streaming).toBe(true);
    fail!(refused());
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.closed).toBe(1);
    expect(l.streaming).toBe(false);
    expect(l.current(first)).toBe(false);
    l.lost(refused(), first);
    expect(seen.emits).toBe(1);
    expect(l.attach(first, stream())).toBe(false);
    expect(seen.closed).toBe(2);
    l.stop();
  });

  it('schedule never puts off what is due sooner', async () => {
    const { l } = loop(async () => undefined);
    const ran: string[] = [];
    l.schedule(50, () => ran.push('a'));
    l.schedule(100, () => ran.push('b'));
    await vi.advanceTimersByTimeAsync(60);
    expect(ran).toEqual(['a']);
    l.schedule(100, () => ran.push('c'));
    l.schedule(10, () => ran.push('d'));
    await vi.advanceTimersByTimeAsync(200);
    expect(ran).toEqual(['a', 'd']);
    l.stop();
  });

  it('stop ends it all: the pending reconnection, the stream, later answers', async () => {
    const { l, seen, stream } = loop(async (g, self) => {
      self.attach(g, stream());
      throw refused();
    });
    l.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.closed).toBe(1);
    l.stop();
    expect(l.stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.sessions).toHaveLength(1);
  });
});

// One home for a runtime source's connection lifecycle: a generation per connection (an answer of a lost
// one is ignored), one event stream and one timer per source, and on a failure: close the stream, log the
// outage, emit, connect again after the backoff. The Docker and CRI sources differ only in what one
// connection does (`session`).
import type { Logger } from '../observe/logger.js';
import type { LinkHealth } from './link-health.js';

/** A runtime's event stream, as both APIs give it. */
export interface ClosableStream {
  close(): void;
}

export interface ReconnectLoopOptions {
  readonly health: LinkHealth;
  /** The source's logger (runtime and socket in every line). */
  readonly log: Logger;
  readonly now?: () => number;
  /** The outage's log lines: `warning` once per outage with what is `known` then, `quiet` after that. */
  readonly outage: { readonly warning: string; readonly quiet: string; readonly known: () => Readonly<Record<string, number>> };
  /** One connection, generation `g`: open the event stream, list; a throw (or `lost(err, g)`) ends it. */
  readonly session: (g: number) => Promise<void>;
  /** Emit the source's state (after a failure: disconnected, what was known kept). */
  readonly emit: () => void;
}

export class ReconnectLoop {
  private gen = 0;
  private ended = false;
  private stream: ClosableStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private readonly now: () => number;

  constructor(private readonly o: ReconnectLoopOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The current connection's generation. */
  get generation(): number {
    return this.gen;
  }

  get stopped(): boolean {
    return this.ended;
  }

  /** The event stream of the current connection is open. */
  get streaming(): boolean {
    return this.stream !== undefined;
  }

  /** `g` is the current connection's and the source has not stopped: its answers still count. */
  current(g: number): boolean {
    return g === this.gen && !this.ended;
  }

  start(): void {
    void this.connect();
  }

  /** Keep connection `g`'s event stream (closed on failure or stop); false, and closed at once, when `g` is gone. */
  attach(g: number, stream: ClosableStream): boolean {
    if (!this.current(g)) {
      stream.close();
      return false;
    }
    this.stream = stream;
    return true;
  }

  /** The event stream ended by itself (nothing to close). */
  detach(): void {
    this.stream = undefined;
  }

  /** Connection `g` failed: close its stream, log, emit, and connect again after the backoff. */
  lost(err: unknown, g: number): void {
    if (!this.current(g)) return;
    this.gen++;
    this.stream?.close();
    this.stream = undefined;
    const { warning, quiet, known } = this.o.outage;
    const delay = this.o.health.downLogged(err, this.o.log, { warning, quiet, known: known() });
    this.o.emit();
    if (this.timer) clearTimeout(this.timer);
    this.arm(delay, () => void this.connect());
  }

  /** Run `f` after `ms`, unless the source's timer is due sooner already (never put off a listing or a reconnection). */
  schedule(ms: number, f: () => void): void {
    if (this.timer && this.timerAt <= this.now() + ms) return;
    if (this.timer) clearTimeout(this.timer);
    this.arm(ms, f);
  }

  stop(): void {
    this.ended = true;
    this.gen++;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.close();
  }

  private arm(ms: number, f: () => void): void {
    this.timerAt = this.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      f();
    }, ms);
    this.timer.unref?.();
  }

  private async connect(): Promise<void> {
    if (this.ended) return;
    const g = ++this.gen;
    try {
      await this.o.session(g);
    } catch (err) {
      this.lost(err, g);
    }
  }
}

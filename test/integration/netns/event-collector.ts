import type { Observable, Subscription } from 'rxjs';
import type { NamespaceEvent } from '../../../src/netns/types.js';

/** Collects a source's events and waits for conditions on them (polling, with a deadline). */
export class EventCollector {
  readonly events: NamespaceEvent[] = [];
  private readonly sub: Subscription;

  constructor(source$: Observable<NamespaceEvent>) {
    this.sub = source$.subscribe((e) => this.events.push(e));
  }

  of(pred: (e: NamespaceEvent) => boolean): NamespaceEvent[] {
    return this.events.filter(pred);
  }

  async waitFor(pred: (events: NamespaceEvent[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.events.length} events so far`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

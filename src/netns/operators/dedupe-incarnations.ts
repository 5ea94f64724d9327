import { filter, defer, type OperatorFunction } from 'rxjs';
import { namespaceKey, type NamespaceEvent } from '../types.js';

/**
 * The last line of the "exactly once" promise: per namespace key, events
 * alternate added → removed → added ..., so every incarnation is added once
 * and removed once, and nothing is removed that was never added, whatever
 * the sources upstream repeat.
 */
export function dedupeIncarnations(): OperatorFunction<NamespaceEvent, NamespaceEvent> {
  return (source) =>
    defer(() => {
      const live = new Set<string>();
      return source.pipe(
        filter((ev) => {
          const key = namespaceKey(ev.ns);
          if (ev.type === 'added') {
            if (live.has(key)) return false;
            live.add(key);
            return true;
          }
          return live.delete(key);
        }),
      );
    });
}

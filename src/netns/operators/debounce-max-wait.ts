import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * debounceTime that cannot starve: emits the latest value after `quietMs` of
 * silence, or `maxWaitMs` after the first value of a burst, whichever comes
 * first. A steady stream of directory events still gets a repair scan.
 */
export function debounceMaxWait<T>(quietMs: number, maxWaitMs: number, scheduler: SchedulerLike): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let last: { value: T } | undefined;
      let quiet: Subscription | undefined;
      let max: Subscription | undefined;

      const flush = (): void => {
        quiet?.unsubscribe();
        max?.unsubscribe();
        quiet = max = undefined;
        if (last !== undefined) {
          const { value } = last;
          last = undefined;
          subscriber.next(value);
        }
      };

      const sub = source.subscribe({
        next: (value) => {
          last = { value };
          quiet?.unsubscribe();
          quiet = scheduler.schedule(flush, quietMs);
          max ??= scheduler.schedule(flush, maxWaitMs);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        sub.unsubscribe();
        quiet?.unsubscribe();
        max?.unsubscribe();
      };
    });
}

import { Observable, from, type ObservableInput, type OperatorFunction } from 'rxjs';

/**
 * Runs `work` one batch at a time: triggers that arrive while a run is in
 * flight are gathered and handed to exactly one follow-up run. Bursts of
 * events thus become few, large batches, and runs never overlap. An error
 * from one run is handed to `onError` and never ends the stream.
 */
export function runCoalesced<T, R>(
  work: (batch: readonly T[]) => ObservableInput<R>,
  onError: (err: unknown, batch: readonly T[]) => void = () => undefined,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let pending: T[] = [];
      let running = false;
      let sourceDone = false;
      let inner: { unsubscribe(): void } | undefined;

      const next = (): void => {
        if (running) return;
        if (pending.length === 0) {
          if (sourceDone) subscriber.complete();
          return;
        }
        const batch = pending;
        pending = [];
        running = true;
        const finish = (): void => {
          running = false;
          inner = undefined;
          next();
        };
        let result: ObservableInput<R>;
        try {
          result = work(batch);
        } catch (err) {
          onError(err, batch);
          finish();
          return;
        }
        inner = from(result).subscribe({
          next: (v) => subscriber.next(v),
          error: (err: unknown) => {
            onError(err, batch);
            finish();
          },
          complete: finish,
        });
      };

      const sub = source.subscribe({
        next: (v) => {
          pending.push(v);
          next();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!running) next();
        },
      });
      return () => {
        sub.unsubscribe();
        inner?.unsubscribe();
      };
    });
}

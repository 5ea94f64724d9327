import { EMPTY, catchError, defer, type ObservableInput, type OperatorFunction } from 'rxjs';
import { coalesceRequests } from './coalesce-requests.js';

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
  return coalesceRequests<T, T[], R>(
    (batch) =>
      defer(() => work(batch)).pipe(
        catchError((err: unknown) => {
          onError(err, batch);
          return EMPTY;
        }),
      ),
    (batch, trigger) => {
      if (batch === undefined) return [trigger];
      batch.push(trigger);
      return batch;
    },
  );
}

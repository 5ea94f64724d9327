import { Observable, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * Runs one batch of requests at a time and folds every request that arrives
 * meanwhile into a single follow-up batch, so a burst of 1000 directory
 * events costs a handful of scans instead of 1000, and results stay in
 * request order (a later look can never be overtaken by an earlier one).
 *
 * `fold(batch, req)` adds a request to the pending batch (`undefined`: there
 * is none yet) and returns it. The batch belongs to this operator until it
 * is handed to `run`, so `fold` may grow it in place: it should cost
 * O(size of `req`), never a copy of the batch, or a burst turns quadratic.
 *
 * `run` must not error (catch inside it); an error is passed on as is.
 */
export function coalesceRequests<Req, Batch, Res>(
  run: (batch: Batch) => Observable<Res>,
  fold: (batch: Batch | undefined, req: Req) => Batch,
): OperatorFunction<Req, Res> {
  return (source) =>
    new Observable<Res>((subscriber) => {
      let pending: { batch: Batch } | undefined;
      let running = false;
      let sourceDone = false;
      let current: Subscription | undefined;

      const maybeComplete = (): void => {
        if (sourceDone && !running && pending === undefined) subscriber.complete();
      };

      const drain = (): void => {
        while (!running && pending !== undefined && !subscriber.closed) {
          const { batch } = pending;
          pending = undefined;
          running = true;
          let sync = true;
          let doneSync = false;
          const sub = run(batch).subscribe({
            next: (v) => subscriber.next(v),
            error: (e: unknown) => subscriber.error(e),
            complete: () => {
              running = false;
              current = undefined;
              if (sync) doneSync = true;
              else {
                drain();
                maybeComplete();
              }
            },
          });
          sync = false;
          if (!doneSync) current = sub;
        }
        maybeComplete();
      };

      const sourceSub = source.subscribe({
        next: (req) => {
          if (pending === undefined) pending = { batch: fold(undefined, req) };
          else pending.batch = fold(pending.batch, req);
          if (!running) drain();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });

      return () => {
        sourceSub.unsubscribe();
        current?.unsubscribe();
      };
    });
}

import { Observable, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * Runs one request at a time and folds every request that arrives meanwhile
 * into a single follow-up, so a burst of 1000 directory events costs a
 * handful of scans instead of 1000, and results stay in request order (a
 * later look can never be overtaken by an earlier one).
 *
 * `run` must not error (catch inside it); an error is passed on as is.
 */
export function coalesceRequests<Req, Res>(
  run: (req: Req) => Observable<Res>,
  merge: (pending: Req, next: Req) => Req,
): OperatorFunction<Req, Res> {
  return (source) =>
    new Observable<Res>((subscriber) => {
      let pending: { req: Req } | undefined;
      let running = false;
      let sourceDone = false;
      let current: Subscription | undefined;

      const maybeComplete = (): void => {
        if (sourceDone && !running && pending === undefined) subscriber.complete();
      };

      const drain = (): void => {
        while (!running && pending !== undefined && !subscriber.closed) {
          const { req } = pending;
          pending = undefined;
          running = true;
          let sync = true;
          let doneSync = false;
          const sub = run(req).subscribe({
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
          pending = pending === undefined ? { req } : { req: merge(pending.req, req) };
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

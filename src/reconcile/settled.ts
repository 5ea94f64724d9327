import { filter, firstValueFrom, map, merge, of, timeout, type Observable } from 'rxjs';

/** A replica seen as its current snapshot and a stream of the snapshots that follow. */
export interface SnapshotSource<S> {
  snapshot(): S;
  readonly changes$: Observable<S>;
}

/**
 * Waits until `pending` of the replica's snapshot is empty: checked now and again on each change (never
 * polled), for at most `timeoutMs`. Returns what is still pending then (empty once settled).
 */
export function settled<S, T>(replica: SnapshotSource<S>, pending: (snap: S) => readonly T[], timeoutMs: number): Promise<readonly T[]> {
  return firstValueFrom(
    merge(of(replica.snapshot()), replica.changes$).pipe(
      map(pending),
      filter((left) => left.length === 0),
      timeout({ first: timeoutMs, with: () => of(pending(replica.snapshot())) }),
    ),
    { defaultValue: pending(replica.snapshot()) },
  );
}

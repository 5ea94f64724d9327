import type { ScanRequest } from './observation.js';

/**
 * The requests folded together while a look at a directory runs: the next
 * look. Owned by the queue that folds into it, and grown in place, so N
 * requests cost O(total names), never a copy of what is already pending
 * (a copy per request was quadratic: 10,000 stray files stalled discovery
 * for minutes).
 */
export interface ScanBatch {
  /** A full scan covers every name: `names` is then empty and stays so. */
  full: boolean;
  /** List the directory too, and probe what the listing shows changed (besides `names`). */
  listing: boolean;
  readonly names: Set<string>;
}

/**
 * Folds one request into the pending batch (a new batch when there is none)
 * and returns it. Costs O(names in `req`); never mutates `req`.
 */
export function foldRequest(batch: ScanBatch | undefined, req: ScanRequest): ScanBatch {
  const b = batch ?? { full: false, listing: false, names: new Set<string>() };
  if (b.full) return b;
  if (req.kind === 'full') {
    b.full = true;
    b.listing = false;
    b.names.clear();
    return b;
  }
  if (req.kind === 'listing') {
    b.listing = true;
    return b;
  }
  for (const name of req.names) b.names.add(name);
  return b;
}

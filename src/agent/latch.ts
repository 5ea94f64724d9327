/** A promise and the function that resolves it: a start-up condition met once (first scan, first tenants, first pass). */
export interface Latch {
  readonly done: Promise<void>;
  readonly open: () => void;
}

export function latch(): Latch {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { done, open };
}

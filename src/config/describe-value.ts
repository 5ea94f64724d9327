// Names what an operator actually wrote, for "expected X, got Y" messages.

/** `string "x"`, `number 5`, `a list`, `a mapping`, `null`… */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (v instanceof Uint8Array) return 'binary data';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

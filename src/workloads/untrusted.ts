// One home for reading what a runtime's API answers (untrusted: any shape, any size, any characters).
import type { WorkloadInfo } from './types.js';

/** Control characters: never in a name, label or path taken from a runtime. */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f]/;

/** The value as a plain object, or undefined (null, arrays and scalars are not). */
export function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** One runtime answer read: a workload, or why not (`id` when it could be read: known but not usable). */
export type ParsedWorkload =
  | { readonly ok: true; readonly workload: WorkloadInfo }
  | { readonly ok: false; readonly id?: string; readonly reason: string };

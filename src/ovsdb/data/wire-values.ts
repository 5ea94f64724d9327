import type { Condition, ConditionFunction, Mutation, Mutator, NamedUuid, Uuid, WireAtom, WireMap, WireSet, WireValue } from '../wire/wire-types.js';

/** ["uuid", id]: a reference to an existing row. */
export function uuid(id: string): Uuid {
  return ['uuid', id];
}

/** ["named-uuid", name]: a reference to a row inserted earlier in the same transaction. */
export function namedUuid(name: string): NamedUuid {
  return ['named-uuid', name];
}

/** ["set", [...]]: always use this for set columns, even with one element (a bare array would be misread). */
export function ovsSet(atoms: Iterable<WireAtom>): WireSet {
  return ['set', [...atoms]];
}

/** An optional (0..1) column: the empty set for undefined. */
export function ovsOptional(atom: WireAtom | undefined): WireValue {
  return atom === undefined ? ['set', []] : atom;
}

/** ["map", [[k, v], ...]] from a plain object or entries. */
export function ovsMap(pairs: Readonly<Record<string, WireAtom>> | Iterable<readonly [WireAtom, WireAtom]>): WireMap {
  const entries = Symbol.iterator in pairs ? [...(pairs as Iterable<readonly [WireAtom, WireAtom]>)] : Object.entries(pairs);
  return ['map', entries];
}

/** A where-clause triple. */
export function cond(column: string, fn: ConditionFunction, value: WireValue): Condition {
  return [column, fn, value];
}

/** Matches one row by _uuid. */
export function byUuid(id: string): Condition {
  return ['_uuid', '==', uuid(id)];
}

/** A mutation triple for mutate ops. */
export function mutation(column: string, mutator: Mutator, value: WireValue): Mutation {
  return [column, mutator, value];
}

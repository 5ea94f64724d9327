/** RFC 4122 text form, as OVSDB writes uuids (any version, any case). */
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True for a string in uuid form; anything else from a server is not to be trusted as one. */
export function isUuid(x: unknown): x is string {
  return typeof x === 'string' && x.length === 36 && UUID_RE.test(x);
}

// One-shot loading (agent start, `nsvswitch validate`): the same rules as hot reload, from an empty start.
import type { TenantSet } from './types.js';
import { ManifestPathError } from './manifest-path-error.js';
import { resolveTenantSet } from './resolve-set.js';
import { ManifestScanner } from './scan-files.js';

export interface LoadManifestOptions {
  /**
   * Refuse directories and files another user could write, as the agent does (manifestStrictModes).
   * Default false here: a checkout in CI is often group-writable, and checking content is the point.
   */
  readonly strictModes?: boolean;
}

/**
 * Loads manifest dirs and/or files as one set, with cross-file checks. Of two conflicting files the one
 * modified last is rejected (ties: the later path), as the agent would do at start. Throws
 * ManifestPathError if a given path cannot be read (or is refused: insecure, over the size limit).
 */
export async function loadManifestPaths(paths: readonly string[], opts: LoadManifestOptions = {}): Promise<TenantSet> {
  const { files, unreadable } = await new ManifestScanner({ strictModes: opts.strictModes ?? false }).scan(paths, 'all');
  const bad = unreadable[0];
  if (bad) throw new ManifestPathError(bad.path, bad.code, bad.reason === undefined ? {} : { reason: bad.reason });
  return resolveTenantSet(new Map(), files).set;
}

/** Loads every *.yaml / *.yml file of a directory (or one file). */
export function loadManifestDir(dirOrFile: string, opts: LoadManifestOptions = {}): Promise<TenantSet> {
  return loadManifestPaths([dirOrFile], opts);
}

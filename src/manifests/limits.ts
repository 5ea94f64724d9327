// Budgets that bound the work a manifest directory can cause, whoever wrote it: every limit here keeps
// loading linear in the input and small enough that a hostile file cannot stall the agent.

/** A manifest file larger than this is refused unread (10,000 tenants take about 1.5 MiB). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** The manifest files of one directory together; above it the directory is not re-read (what is in force stays). */
export const MAX_DIR_BYTES = 8 * 1024 * 1024;
/** YAML documents (tenants) per file; the rest of a file is not parsed. */
export const MAX_DOCUMENTS_PER_FILE = 10_000;
/**
 * Aliases (`*name`) per file. Resolving one alias walks its whole document (the yaml package), so a few
 * thousand aliases cost seconds; no tenant needs more than a handful.
 */
export const MAX_ALIASES_PER_FILE = 100;
/** Nesting of YAML collections; a tenant needs 3 levels. */
export const MAX_DEPTH = 32;
/** Problems kept per file (a summary line counts the rest): a broken 2 MiB file must not flood /status. */
export const MAX_PROBLEMS_PER_FILE = 100;

/** "2 MiB", "1.5 KiB", "512 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

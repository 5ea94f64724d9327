// Durations as operators write them ("30s", "500ms", "2m") for intervals in config files and flags.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of "500ms" / "30s" / "1.5m" / "1h" (or a bare integer of ms); undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
  return Number.isFinite(ms) && Number.isInteger(ms) ? ms : undefined;
}

/** The shortest exact way to write a duration ("30s", "1500ms"), for help text. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

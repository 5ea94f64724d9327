/**
 * Quick mode: a bench run at a smaller size, to check that it works (CI, a
 * smoke run of `npm run bench`), not to measure. Asked for with the bench's
 * `--quick` flag or NSVS_BENCH_QUICK=1 in the environment (which reaches
 * every bench an orchestrator starts without it knowing their flags).
 */
export function quickMode(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag === true || env.NSVS_BENCH_QUICK === '1' || env.NSVS_BENCH_QUICK === 'true';
}

/** The size a bench runs at: the explicit flag, else the quick or the full default. */
export function benchSize(flag: string | undefined, quick: boolean, defaults: { full: number; quick: number }, name = '--n'): number {
  if (flag === undefined) return quick ? defaults.quick : defaults.full;
  if (!/^\d+$/.test(flag) || Number(flag) < 1) throw new Error(`${name}: ${JSON.stringify(flag)} is not a positive integer`);
  return Number(flag);
}

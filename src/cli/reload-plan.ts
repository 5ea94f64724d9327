import type { AgentConfig, LogLevel } from '../config/index.js';

/** What a reload (SIGHUP) can apply from a freshly read config, and what it cannot. */
export interface ReloadPlan {
  /** The new log level, when it changed. */
  readonly logLevel: LogLevel | undefined;
  /** Keys whose new value needs a restart (the connections, directories and endpoint they configure are open). */
  readonly needRestart: readonly (keyof AgentConfig)[];
}

/** Keys a running agent applies on reload. Manifests are always re-read (they are not config). */
const RELOADABLE: ReadonlySet<keyof AgentConfig> = new Set(['logLevel']);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compares the config in force with one read again; pure. */
export function reloadPlan(running: AgentConfig, fresh: AgentConfig): ReloadPlan {
  const keys = new Set([...Object.keys(running), ...Object.keys(fresh)] as (keyof AgentConfig)[]);
  const needRestart = [...keys].filter((k) => !RELOADABLE.has(k) && !same(running[k], fresh[k])).sort();
  return { logLevel: fresh.logLevel !== running.logLevel ? fresh.logLevel : undefined, needRestart };
}

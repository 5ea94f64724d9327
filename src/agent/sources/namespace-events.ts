import { map, tap, type Observable } from 'rxjs';
import type { AgentConfig } from '../../config/types.js';
import { watchNamespaces$ } from '../../netns/index.js';
import { mountChanges$ } from '../../netns/mount-changes.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import type { NamespaceTroubles } from '../namespace-troubles.js';
import type { AgentEvent } from '../pass-input.js';

export interface NamespaceEventsDeps {
  readonly config: AgentConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly troubles: NamespaceTroubles;
  /** Every namespace directory was looked at once (refused files are never admitted). */
  readonly onInitialScan: () => void;
  /** Namespace files worth a look now (a runtime let go of them, plumbing found them gone). */
  readonly recheck$: Observable<string>;
  /** The watched directories that are a runtime's (stale unmounted files there are routine). */
  readonly runtimeDirs: readonly string[];
}

/** The namespace source: namespaces admitted and removed, as pass input events. */
export function namespaceEvents$(d: NamespaceEventsDeps): Observable<AgentEvent> {
  const { config } = d;
  return watchNamespaces$({
    dirs: config.namespaceDirs,
    logger: d.logger,
    rescanIntervalMs: config.resyncIntervalMs,
    ...(config.hostNetns ? { hostNetns: config.hostNetns } : {}),
    onDirState: (dir, state, reason) => d.troubles.dirState(dir, state, reason),
    onRefusal: (path, refusal) => d.troubles.refusal(path, refusal),
    onInitialScan: d.onInitialScan,
    recheck$: d.recheck$,
    // A mount is found when it happens (native addon); plumbing `process` keeps to the re-check timer, like the addon-less path.
    ...(config.plumbing !== 'process' ? { mountChanges$: mountChanges$(d.logger) } : {}),
    runtimeDirs: d.runtimeDirs,
  }).pipe(
    tap((ev) => d.metrics.namespacesSeen.inc({ event: ev.type })),
    map((event): AgentEvent => ({ kind: 'namespace', event })),
  );
}

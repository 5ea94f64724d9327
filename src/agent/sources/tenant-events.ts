import { map, tap, type Observable } from 'rxjs';
import type { AgentConfig } from '../../config/types.js';
import { watchManifests$ } from '../../manifests/index.js';
import type { Logger } from '../../observe/logger.js';
import type { Metrics } from '../../observe/metrics.js';
import type { AgentEvent, PassInput } from '../pass-input.js';
import { namespacesWithWorkloads } from '../workload-sources.js';

export interface TenantEventsDeps {
  readonly config: AgentConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** SIGHUP: re-read every manifest file now. */
  readonly reload$: Observable<void>;
  /** The folded input now: a changed manifest is checked against the namespaces that exist. */
  readonly current: () => PassInput;
  /** Namespace paths as the runtimes spell them. */
  readonly normalisePath: (path: string) => string;
  /** The first tenant set that can start the agent arrived. */
  readonly onFirstTenants: () => void;
}

/** The manifest source: the tenant set in force, as pass input events; rejections and problems in logs and metrics. */
export function tenantEvents$(d: TenantEventsDeps): Observable<AgentEvent> {
  const { config, metrics } = d;
  const log = d.logger.child({ bridge: config.bridge });
  let seen = false;
  return watchManifests$(config.manifestDir, {
    logger: d.logger,
    reload$: d.reload$,
    strictModes: config.manifestStrictModes,
    // A changed manifest that would put a namespace that exists now into conflict is rejected (manifests.md).
    namespaces: () => namespacesWithWorkloads(d.current(), d.normalisePath),
    onRejected: (file, problems) => {
      metrics.manifestRejections.inc({ file });
      for (const p of problems) log.warn({ file: p.file, line: p.line, tenant: p.tenant }, `manifest rejected: ${p.message}`);
    },
  }).pipe(
    tap((set) => {
      metrics.manifestProblems.set(set.problems.length);
      log.info({ tenants: [...set.tenants.keys()], problems: set.problems.length }, 'tenants in force');
      // Never start from a manifest dir that exists but cannot be read: its tenants are
      // unknown, and a first full pass would unplug every workload. Wait, not ready.
      if (!seen && set.unreadable) {
        log.error({ manifestDir: config.manifestDir }, 'manifest directory cannot be read: waiting for it before the first pass (not ready)');
      } else if (!seen) {
        seen = true;
        d.onFirstTenants();
      }
    }),
    map((set): AgentEvent => ({ kind: 'tenants', set })),
  );
}

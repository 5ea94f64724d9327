import type { WorkloadInfo } from './types.js';

/**
 * What names a workload across restarts, for keeping its address and MAC: a container's id (Docker keeps
 * it over a restart), a pod's uid (the kubelet gives a restarted pod a new sandbox id, the same uid).
 */
export function workloadIdentity(w: Pick<WorkloadInfo, 'runtime' | 'id' | 'podUid'>): string {
  return w.podUid ? `${w.runtime}/pod:${w.podUid}` : `${w.runtime}/${w.id}`;
}

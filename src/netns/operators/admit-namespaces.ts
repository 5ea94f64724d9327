import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import type { FoundEvent } from '../observation.js';
import type { NamespaceEvent } from '../types.js';
import type { NamespaceRefusedError } from '../errors/namespace-refused-error.js';
import { Admission, type ProtectedNamespace } from '../admission.js';

/** What admission says: namespace events to pass on, and refusals for logs and status. `looked` passes through. */
export type AdmissionSignal =
  | NamespaceEvent
  | { readonly type: 'refused'; readonly error: NamespaceRefusedError }
  | { readonly type: 'refusal-updated'; readonly error: NamespaceRefusedError }
  | { readonly type: 'refusal-cleared'; readonly path: string }
  | { readonly type: 'looked'; readonly dir: string };

/**
 * The merged files of every watched directory through one `Admission`
 * (aliases are found across directories): namespaces to plug, and refused
 * files, each refused once while it stays as it is.
 */
export function admitNamespaces(protectedNamespaces: readonly ProtectedNamespace[]): OperatorFunction<FoundEvent, AdmissionSignal> {
  return (source) =>
    defer(() => {
      const admission = new Admission(protectedNamespaces);
      return source.pipe(
        mergeMap((ev): AdmissionSignal[] => {
          if (ev.type === 'looked') return [ev];
          const step = ev.type === 'added' ? admission.added(ev.found) : admission.removed(ev.found);
          return [
            ...step.cleared.map((path): AdmissionSignal => ({ type: 'refusal-cleared', path })),
            ...step.refused.map((error): AdmissionSignal => ({ type: 'refused', error })),
            ...step.updated.map((error): AdmissionSignal => ({ type: 'refusal-updated', error })),
            ...step.events,
          ];
        }),
      );
    });
}

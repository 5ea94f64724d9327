import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** ovs-vswitchd rejected a flow bundle; the bundle is atomic, so nothing of it was applied. */
export class FlowApplyError extends NsvswitchError {
  constructor(
    readonly bridge: string,
    readonly adds: number,
    readonly deletes: number,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`Flow bundle on bridge ${bridge} failed (${adds} add, ${deletes} delete; nothing applied)${why}`, options);
  }
}

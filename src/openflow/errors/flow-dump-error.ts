import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Reading the flows of a bridge failed (switch down, bridge missing, socket refused). */
export class FlowDumpError extends NsvswitchError {
  constructor(
    readonly bridge: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`Cannot dump flows of bridge ${bridge}${why}`, options);
  }
}

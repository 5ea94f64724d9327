import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** The agent configuration (file or flags) is invalid; the message names file:line and key. */
export class ConfigError extends NsvswitchError {
  /** Config file, when the value came from one. */
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** AgentConfig key (or flag, e.g. "--bridge") concerned. */
  readonly key: string | undefined;

  constructor(message: string, ctx: { file?: string; line?: number; key?: string } = {}, options?: { cause?: unknown }) {
    const where = ctx.file === undefined ? '' : ctx.line === undefined ? `${ctx.file}: ` : `${ctx.file}:${ctx.line}: `;
    super(`${where}${message}`, options);
    this.file = ctx.file;
    this.line = ctx.line;
    this.key = ctx.key;
  }
}

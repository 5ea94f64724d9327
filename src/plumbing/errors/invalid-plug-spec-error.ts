import { PlugError } from './plug-error.js';

/** A spec field that cannot go into `ip -batch` text safely (or is not a valid value at all). */
export class InvalidPlugSpecError extends PlugError {
  override readonly kind = 'invalid-spec';
  readonly field: string;
  readonly value: string;

  constructor(nsPath: string, hostIf: string, field: string, value: string) {
    super(`invalid ${field} ${JSON.stringify(value)} for namespace ${nsPath} (host interface ${JSON.stringify(hostIf)})`, nsPath, hostIf);
    this.field = field;
    this.value = value;
  }
}

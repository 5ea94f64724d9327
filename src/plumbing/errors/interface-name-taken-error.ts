import { PlugError } from './plug-error.js';

/** The tenant's interface name already exists inside the namespace (not ours to replace). */
export class InterfaceNameTakenError extends PlugError {
  override readonly kind = 'ifname-taken';
  readonly ifName: string;

  constructor(nsPath: string, hostIf: string, ifName: string) {
    super(`interface name ${ifName} already taken in namespace ${nsPath} (host interface ${hostIf} removed)`, nsPath, hostIf);
    this.ifName = ifName;
  }
}

import { PlugError } from './plug-error.js';

/** The derived host veth already exists: the namespace is plugged already, or a leftover must be unplugged first. */
export class HostInterfaceExistsError extends PlugError {
  override readonly kind = 'host-interface-exists';
  constructor(nsPath: string, hostIf: string) {
    super(`host interface ${hostIf} for namespace ${nsPath} already exists (already plugged, or a leftover to unplug first)`, nsPath, hostIf);
  }
}

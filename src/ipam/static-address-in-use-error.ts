import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** The static address a manifest gives a namespace is already held by another port. */
export class StaticAddressInUseError extends NsvswitchError {
  readonly tenant: string;
  readonly namespace: string;
  readonly ip: string;

  constructor(tenant: string, namespace: string, ip: string) {
    super(`Static address ${ip} of namespace "${namespace}" (tenant "${tenant}") is already in use by another port`);
    this.tenant = tenant;
    this.namespace = namespace;
    this.ip = ip;
  }
}

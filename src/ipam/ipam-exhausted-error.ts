import { NsvswitchError } from '../errors/nsvswitch-error.js';

/** Every host address of a tenant's subnet is taken; only the namespace asking for one is affected. */
export class IpamExhaustedError extends NsvswitchError {
  readonly tenant: string;
  readonly subnet: string;
  readonly namespace: string;

  constructor(tenant: string, subnet: string, namespace: string) {
    super(`No free address in subnet ${subnet} of tenant "${tenant}" for namespace "${namespace}"`);
    this.tenant = tenant;
    this.subnet = subnet;
    this.namespace = namespace;
  }
}

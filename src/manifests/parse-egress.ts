// spec.egress of a tenant manifest: the gateway's policy (SNAT or routed, tenants allowed through the
// gateways, host services on the gateway address). Validated from the plain value of the field; problems
// are reported on the field's line.
import { describeValue } from '../config/describe-value.js';
import { didYouMean } from '../config/did-you-mean.js';
import { DNS_LABEL, EGRESS_FIELDS, NAME_MAX } from './fields.js';
import type { HostService, TenantEgress } from './types.js';

/** Most entries a list of spec.egress may hold (each becomes nftables rules on the host). */
export const EGRESS_LIST_MAX = 64;

/** The policy of a tenant whose manifest has a gateway and no spec.egress. */
export const DEFAULT_EGRESS: TenantEgress = Object.freeze({ snat: true, allowTenants: Object.freeze([]), hostServices: Object.freeze([]) });

const SERVICE = /^(tcp|udp)\/(\d{1,5})$/;

/** "udp/53" → { protocol: 'udp', port: 53 }; undefined when malformed. */
export function parseHostService(text: string): HostService | undefined {
  const m = SERVICE.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { protocol: m[1] as 'tcp' | 'udp', port };
}

export interface EgressProblem {
  readonly message: string;
}

/**
 * Validates the value of spec.egress (`null`/absent = defaults). `tenant` is
 * the tenant's own name (it may not list itself); `hasGateway` whether
 * spec.gateway is set (egress needs one).
 */
export function parseEgress(value: unknown, tenant: string | undefined, hasGateway: boolean): { egress?: TenantEgress; problems: EgressProblem[] } {
  const problems: EgressProblem[] = [];
  const report = (message: string): void => {
    problems.push({ message });
  };
  if (value === null || value === undefined) return { problems };
  if (typeof value !== 'object' || Array.isArray(value)) {
    report(`spec.egress must be a mapping with snat, allowTenants and hostServices, got ${describeValue(value)}`);
    return { problems };
  }
  if (!hasGateway) report('spec.egress needs spec.gateway: the gateway address is where workloads leave the tenant');
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if ((EGRESS_FIELDS as readonly string[]).includes(key)) continue;
    const near = didYouMean(key, EGRESS_FIELDS);
    report(`unknown field "${key}" in spec.egress; ${near === undefined ? `known fields: ${EGRESS_FIELDS.join(', ')}` : `did you mean "${near}"?`}`);
  }

  let snat = DEFAULT_EGRESS.snat;
  if (fields.snat !== undefined && fields.snat !== null) {
    if (typeof fields.snat === 'boolean') snat = fields.snat;
    else report(`spec.egress.snat must be true (source-translate to the host's address) or false (routed), got ${describeValue(fields.snat)}`);
  }

  const list = (name: 'allowTenants' | 'hostServices'): unknown[] => {
    const v = fields[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      report(`spec.egress.${name} must be a list, got ${describeValue(v)}`);
      return [];
    }
    if (v.length > EGRESS_LIST_MAX) {
      report(`spec.egress.${name} has ${v.length} entries; at most ${EGRESS_LIST_MAX}`);
      return [];
    }
    return v;
  };

  const allowTenants: string[] = [];
  for (const [i, t] of list('allowTenants').entries()) {
    if (typeof t !== 'string' || !DNS_LABEL.test(t) || t.length > NAME_MAX) {
      report(`spec.egress.allowTenants[${i}] must be a tenant name (a DNS label), got ${describeValue(t)}`);
    } else if (t === tenant) {
      report(`spec.egress.allowTenants[${i}] "${t}" is the tenant itself`);
    } else if (!allowTenants.includes(t)) allowTenants.push(t);
  }

  const hostServices: HostService[] = [];
  for (const [i, s] of list('hostServices').entries()) {
    const svc = typeof s === 'string' ? parseHostService(s) : undefined;
    if (!svc) report(`spec.egress.hostServices[${i}] must be "tcp/PORT" or "udp/PORT" (port 1 to 65535), got ${describeValue(s)}`);
    else if (!hostServices.some((h) => h.protocol === svc.protocol && h.port === svc.port)) hostServices.push(svc);
  }

  if (problems.length > 0) return { problems };
  return { egress: { snat, allowTenants: allowTenants.sort(), hostServices }, problems };
}

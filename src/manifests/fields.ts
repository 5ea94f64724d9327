// The manifest vocabulary in one place: field names (for unknown-field suggestions and the JSON Schema
// test), limits and defaults.

export const API_VERSION = 'nsvswitch/v1';
export const KIND = 'Tenant';

export const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'] as const;
export const METADATA_FIELDS = ['name', 'labels', 'annotations'] as const;
export const SPEC_FIELDS = ['id', 'subnet', 'gateway', 'subnet6', 'gateway6', 'namespaces', 'workloads', 'interface', 'staticAddresses', 'staticAddresses6', 'egress'] as const;
/** Fields of one spec.workloads entry (a selector on runtime workloads; see workload-selector.ts). */
export const WORKLOAD_SELECTOR_FIELDS = ['runtime', 'names', 'k8sNamespaces', 'matchLabels', 'matchExpressions', 'networkAnnotation'] as const;
export const LABEL_EXPRESSION_FIELDS = ['key', 'operator', 'values'] as const;
/** Runtimes a selector may name (src/workloads). */
export const WORKLOAD_RUNTIMES = ['docker', 'cri'] as const;
/** Fields of spec.egress (the tenant gateway's policy; see docs/manifests.md). */
export const EGRESS_FIELDS = ['snat', 'allowTenants', 'hostServices'] as const;
export const INTERFACE_FIELDS = ['name', 'mtu', 'secondaryName'] as const;

export const NAME_MAX = 63;

export const DEFAULT_INTERFACE = Object.freeze({ name: 'eth0', mtu: 1500 });
/**
 * Interface name in a workload whose runtime networks it itself (a Docker container on a bridge network):
 * the tenant interface is then a second interface (Multus names them net1, net2...).
 */
export const DEFAULT_SECONDARY_INTERFACE = 'net1';
/** Names a runtime gives its own interfaces (Docker: eth0, eth1... per network): never a secondary name. */
export const RUNTIME_IFNAME = /^eth\d+$/;

/** Manifest files are these extensions; names starting with "." (editor swap files, ..data links) are skipped. */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml'] as const;

export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

export function isManifestFileName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length);
}

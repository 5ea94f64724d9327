// The manifest vocabulary in one place: field names (for unknown-field suggestions and the JSON Schema
// test), limits and defaults.

export const API_VERSION = 'nsvswitch/v1';
export const KIND = 'Tenant';

export const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'] as const;
export const METADATA_FIELDS = ['name', 'labels', 'annotations'] as const;
export const SPEC_FIELDS = ['id', 'subnet', 'gateway', 'namespaces', 'interface', 'staticAddresses'] as const;
export const INTERFACE_FIELDS = ['name', 'mtu'] as const;

export const TENANT_ID_MIN = 1;
/** 24 bits: a tenant id fits a VXLAN VNI later. */
export const TENANT_ID_MAX = 16_777_215;
export const MTU_MIN = 68;
export const MTU_MAX = 65_535;
export const NAME_MAX = 63;

export const DEFAULT_INTERFACE = Object.freeze({ name: 'eth0', mtu: 1500 });

/** Manifest files are these extensions; names starting with "." (editor swap files, ..data links) are skipped. */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml'] as const;

export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

export function isManifestFileName(name: string): boolean {
  return !name.startsWith('.') && MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length);
}

// Tenant manifests: parsing and validation, loading, hot reload, and matching namespaces to tenants.
export type { ManifestProblem, ManifestFileStatus, SourceRef, Tenant, TenantInterface, TenantSet } from './types.js';
export { parseManifestText, parseManifestFile } from './parse-manifest.js';
export type { ParsedFile, ParsedTenant, TenantLines } from './parsed-tenant.js';
export { loadManifestDir, loadManifestPaths } from './load-dir.js';
export { watchManifests$, DEFAULT_DEBOUNCE_MS, DEFAULT_RESCAN_MS, type WatchManifestsOptions } from './watch-manifests.js';
export { resolveTenantSet, type AcceptedVersion, type FileSnapshot, type Rejection, type Resolution } from './resolve-set.js';
export { matchNamespace, tenantMatches, GLOB_OPTIONS, type NamespaceMatch, type NamespaceRef } from './match-namespace.js';
export { ManifestPathError } from './manifest-path-error.js';
export { API_VERSION, KIND, TENANT_ID_MAX, DEFAULT_INTERFACE, isManifestFileName } from './fields.js';

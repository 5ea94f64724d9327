// Tenant manifests: parsing and validation, loading, hot reload, and matching namespaces to tenants.
export type { ManifestProblem, ManifestFileStatus, SourceRef, Tenant, TenantInterface, TenantSet } from './types.js';
export { parseManifestText, parseManifestFile } from './parse-manifest.js';
export type { ParsedFile, ParsedTenant, TenantLines } from './parsed-tenant.js';
export { loadManifestDir, loadManifestPaths, type LoadManifestOptions } from './load-dir.js';
export { watchManifests$, DEFAULT_DEBOUNCE_MS, DEFAULT_RESCAN_MS, type WatchManifestsOptions } from './watch-manifests.js';
export { resolveTenantSet, type AcceptedVersion, type FileSnapshot, type Rejection, type Resolution, type ResolveOptions } from './resolve-set.js';
export { matchNamespace, tenantMatches, GLOB_OPTIONS, type NamespaceMatch, type NamespaceRef } from './match-namespace.js';
export { ManifestPathError } from './manifest-path-error.js';
export { MAX_ALIASES_PER_FILE, MAX_DIR_BYTES, MAX_DOCUMENTS_PER_FILE, MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE } from './limits.js';
export { patternFault } from './pattern-rules.js';
export { API_VERSION, KIND, DEFAULT_INTERFACE, isManifestFileName } from './fields.js';
export { TENANT_ID_MAX } from '../net/tenant-id.js';

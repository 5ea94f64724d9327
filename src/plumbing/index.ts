export type { HostLink, Plumbing, PlugResult, PlugSpec } from './types.js';
export { IpPlumbing, DEFAULT_PLUG_CONCURRENCY, type IpPlumbingOptions } from './ip-plumbing.js';
export { PlugError, type PlugErrorKind } from './errors/plug-error.js';
export { NamespaceGoneError } from './errors/namespace-gone-error.js';
export { InterfaceNameTakenError } from './errors/interface-name-taken-error.js';
export { HostInterfaceExistsError } from './errors/host-interface-exists-error.js';
export { PlugStepError } from './errors/plug-step-error.js';
export { InvalidPlugSpecError } from './errors/invalid-plug-spec-error.js';
export { UnplugError } from './errors/unplug-error.js';

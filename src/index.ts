// The library entry (package.json "exports"): the parts of nsvswitch that are useful on their own.
// The agent itself is the `nsvswitch` command (src/main.ts); nothing else here is public API.

/** A generic RFC 7047 OVSDB client (no usable npm package exists): rpc, monitors, a typed Open_vSwitch replica, transactions, errors. */
export * from './ovsdb/index.js';
/** The namespace source: every network namespace file in a set of directories, as it appears and goes. */
export * from './netns/index.js';
/** Tenant manifests: parse, validate (what `nsvswitch validate` runs), load a directory, watch it. */
export * from './manifests/index.js';

/**
 * nsvswitch's own OVSDB client (RFC 7047): the public surface. Layers, bottom
 * up: wire types and framing, JSON-RPC connection, data codec, schema, typed
 * rows, monitor cache/replica, client. Nothing here knows about the agent.
 *
 * Contract: the *Api interfaces in contract.ts; OvsdbClient, OvsdbMonitor and
 * VswitchReplica implement them.
 */
export { OvsdbClient } from './client/ovsdb-client.js';
export { OvsdbMonitor } from './client/ovsdb-monitor.js';
export { VswitchReplica, VSWITCH_DB } from './vswitch/vswitch-replica.js';
export { Txn, nextCfgFromResult } from './txn/txn.js';
export { transactAndWait } from './txn/transact-and-wait.js';
export { parseEndpoint, parseRemotes } from './rpc/endpoint.js';
export type { TlsMaterial, EndpointAddress } from './rpc/endpoint.js';
export { PersistentMap, PersistentMapBuilder } from './data/persistent-map.js';
export type { DatabaseStatus } from './client/server-status.js';
export type {
  OvsdbAnomalyKind, OvsdbClientApi, OvsdbClientOptions, RequestOptions, TransactionInfo, OvsdbMonitorApi, MonitorUpdate, MonitorMethod, LockEvent, VswitchReplicaApi,
} from './contract.js';
export type * from './wire/wire-types.js';
export { WRITE_OPS, ZERO_UUID } from './wire/wire-types.js';
export { isUuid } from './wire/uuid.js';
export { DEFAULT_MAX_DEPTH } from './wire/frame-scanner.js';
export type { Atom, Value, Row, TableRows, DbRows } from './data/row-types.js';
export { uuid, namedUuid, ovsSet, ovsOptional, ovsMap, cond, byUuid, mutation } from './data/wire-values.js';
export { decodeRow, decodeValue, defaultValue } from './data/datum-codec.js';
export type { DbSchema, TableSchema, ColumnSchema, ColumnType, BaseType, AtomicType } from './schema/db-schema.js';
export { parseDbSchema, tableSchema } from './schema/db-schema.js';
export type { OpenVSwitchRow, BridgeRow, PortRow, InterfaceRow, VswitchSnapshot } from './vswitch/vswitch-rows.js';
export { VSWITCH_COLUMNS } from './vswitch/vswitch-rows.js';

// Errors: one class per failure.
export { OvsdbError } from './errors/ovsdb-error.js';
export { OvsdbOpError, OP_ERROR_KINDS, type OvsdbOpErrorKind } from './errors/ovsdb-op-error.js';
export { opErrorFromResults } from './errors/op-error-from-result.js';
export { OvsdbDisconnectedError } from './errors/ovsdb-disconnected-error.js';
export { OvsdbRequestTimeoutError } from './errors/ovsdb-request-timeout-error.js';
export { OvsdbProtocolError } from './errors/ovsdb-protocol-error.js';
export { OvsdbFrameTooLargeError } from './errors/ovsdb-frame-too-large-error.js';
export { OvsdbRpcError } from './errors/ovsdb-rpc-error.js';
export { OvsdbConnectError } from './errors/ovsdb-connect-error.js';
export { OvsdbCanceledError } from './errors/ovsdb-canceled-error.js';
export { OvsdbCurCfgTimeoutError } from './errors/cur-cfg-timeout-error.js';
export { OvsdbMissingRowError } from './errors/ovsdb-missing-row-error.js';
export { OvsdbSchemaError } from './errors/ovsdb-schema-error.js';
export { OvsdbDatumError } from './errors/ovsdb-datum-error.js';
export { OvsdbInvalidLockNameError } from './errors/ovsdb-invalid-lock-name-error.js';

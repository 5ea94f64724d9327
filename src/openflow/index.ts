// Generic OpenFlow client: flow model and text form, dump parsing, canonical
// diff, cookie filters (the layout is the caller's), the ovs-ofctl bundle driver, churn-free sync, and loss detection.
export type { Flow } from './flow.js';
export { flowToText, flowToStrictDeleteText } from './flow.js';
export type { FlowChange, FlowDriver } from './flow-driver.js';
export { OfctlDriver, bundleText, OFCTL_PROTOCOL, type OfctlDriverOptions } from './ofctl-driver.js';
export { FlowSync, type FlowSyncObserver, type FlowSyncOptions, type FlowSyncResult } from './flow-sync.js';
export { diffFlows, flowKey, uniqueFlows, type FlowDiff } from './flow-diff.js';
export { canonicalMatch, splitTopLevel } from './canonical-match.js';
export { parseDumpFlows, parseFlowLine } from './parse-dump.js';
export { parseTrace, tracedOutputs, type ParsedTrace, type TraceStep } from './ofproto-trace.js';
export { parseMonitorLine, foreignChange, expectedByWatchKey, watchKey, type FlowEvent, type FlowEventsLost } from './flow-events.js';
export { ExpectedFlows } from './expected-flows.js';
export { flowWatch$, FLOW_WATCH_RETRY_MAX_MS, FLOW_WATCH_RETRY_MIN_MS, type FlowWatchOptions } from './flow-watch.js';
export { flowLoss$, FLOW_LOSS_RETRY_MAX_MS, FLOW_LOSS_RETRY_MIN_MS, type FlowLossOptions } from './flow-loss.js';
export { cookieFilterArg, cookieMatches, type CookieFilter } from './cookie-filter.js';
export { mgmtSocketPath, mgmtTarget } from './mgmt-target.js';
export { FlowApplyError } from './errors/flow-apply-error.js';
export { FlowDumpError } from './errors/flow-dump-error.js';
export { FlowParseError } from './errors/flow-parse-error.js';

/**
 * OpenFlow 1.5 wire constants nsvswitch speaks (values from the OpenFlow 1.5
 * specification and OVS's include/openflow/openflow-1.{1,3,4,5}.h and
 * nicira-ext.h). Only what the pipeline and the flow driver use.
 */
export const OFP15_VERSION = 0x06;
export const OFP_HEADER_LEN = 8;
/** The 16-bit length field caps every message; nothing longer can be framed. */
export const OFP_MAX_MESSAGE_LEN = 0xffff;

export const MsgType = {
  hello: 0,
  error: 1,
  echoRequest: 2,
  echoReply: 3,
  experimenter: 4,
  featuresRequest: 5,
  featuresReply: 6,
  flowMod: 14,
  multipartRequest: 18,
  multipartReply: 19,
  barrierRequest: 20,
  barrierReply: 21,
  bundleControl: 33,
  bundleAddMessage: 34,
} as const;

export const FlowModCommand = { add: 0, modify: 1, modifyStrict: 2, delete: 3, deleteStrict: 4 } as const;
/** OFPFF_SEND_FLOW_REM etc.; ovs-ofctl sends none for plain add-flows. */
export const FLOW_MOD_FLAGS_NONE = 0;
export const OFP_NO_BUFFER = 0xffffffff;
export const OFPP_ANY = 0xffffffff;
export const OFPG_ANY = 0xffffffff;
export const OFPTT_ALL = 0xff;
/** Reserved port numbers OVS prints by name. */
export const OFPP_NAMES: ReadonlyMap<number, string> = new Map([
  [0xfffffff8, 'IN_PORT'],
  [0xfffffff9, 'TABLE'],
  [0xfffffffa, 'NORMAL'],
  [0xfffffffb, 'FLOOD'],
  [0xfffffffc, 'ALL'],
  [0xfffffffd, 'CONTROLLER'],
  [0xfffffffe, 'LOCAL'],
]);

export const MultipartType = { flowDesc: 1, flowMonitor: 16 } as const;
export const OFPMPF_REPLY_MORE = 1;

export const BundleCtrl = {
  openRequest: 0,
  openReply: 1,
  closeRequest: 2,
  closeReply: 3,
  commitRequest: 4,
  commitReply: 5,
  discardRequest: 6,
  discardReply: 7,
} as const;
export const OFPBF_ATOMIC = 1;
export const OFPBF_ORDERED = 2;

/** ofp14_flow_monitor_request flags (OFPFMF_*): which changes are reported and how. */
export const FlowMonitorFlag = { initial: 1, add: 2, removed: 4, modify: 8, instructions: 16, noAbbrev: 32, onlyOwn: 64 } as const;
export const FlowMonitorCommand = { add: 0, modify: 1, delete: 2 } as const;
/** ofp_flow_update_header events (OFPFME_*). */
export const FlowUpdateEvent = { initial: 0, added: 1, removed: 2, modified: 3, abbrev: 4, paused: 5, resumed: 6 } as const;

export const HelloElem = { versionBitmap: 1 } as const;

export const Instruction = { gotoTable: 1, writeMetadata: 2, writeActions: 3, applyActions: 4, clearActions: 5 } as const;
export const Action = { output: 0, setField: 25, copyField: 28, experimenter: 0xffff } as const;
export const NX_VENDOR_ID = 0x00002320;
export const NxAction = { regMove: 6 } as const;

/** OXM classes: the OpenFlow basic class and the two Nicira NXM classes. */
export const OxmClass = { nxm0: 0x0000, nxm1: 0x0001, openflowBasic: 0x8000, experimenter: 0xffff } as const;

/** OpenFlow error types whose codes matter here. */
export const ErrorType = { badRequest: 1, bundleFailed: 17 } as const;

import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** The switch answered a request with OFPT_ERROR (type and code as in the OpenFlow spec / ovs-ofctl's names). */
export class OpenFlowError extends NsvswitchError {
  constructor(
    readonly what: string,
    readonly errorType: number,
    readonly errorCode: number,
    options?: ErrorOptions,
  ) {
    super(`OpenFlow ${what} failed: error type ${errorType} code ${errorCode}${describe(errorType, errorCode)}`, options);
  }
}

// The errors a flow bundle can meet, named as ovs-ofctl names them.
const NAMES: Readonly<Record<string, string>> = {
  '1.1': 'OFPBRC_BAD_TYPE',
  '1.6': 'OFPBRC_BAD_LEN',
  '2.0': 'OFPBAC_BAD_TYPE',
  '2.2': 'OFPBAC_BAD_OUT_PORT',
  '2.4': 'OFPBAC_BAD_LEN',
  '3.0': 'OFPBIC_UNKNOWN_INST',
  '3.2': 'OFPBIC_BAD_TABLE_ID',
  '4.3': 'OFPBMC_BAD_FIELD',
  '4.4': 'OFPBMC_BAD_WILDCARDS',
  '4.7': 'OFPBMC_BAD_VALUE',
  '4.8': 'OFPBMC_BAD_MASK',
  '4.9': 'OFPBMC_BAD_PREREQ',
  '5.1': 'OFPFMFC_TABLE_FULL',
  '5.2': 'OFPFMFC_BAD_TABLE_ID',
  '5.3': 'OFPFMFC_OVERLAP',
  '17.0': 'OFPBFC_UNKNOWN',
  '17.1': 'OFPBFC_EPERM',
  '17.2': 'OFPBFC_BAD_ID',
  '17.3': 'OFPBFC_BUNDLE_EXIST',
  '17.4': 'OFPBFC_BUNDLE_CLOSED',
  '17.12': 'OFPBFC_MSG_FAILED',
  '17.13': 'OFPBFC_TIMEOUT',
  '17.14': 'OFPBFC_BUNDLE_IN_PROGRESS',
};

function describe(type: number, code: number): string {
  const name = NAMES[`${type}.${code}`];
  return name ? ` (${name})` : '';
}

import { OvsdbError } from './ovsdb-error.js';

/** ovs-vswitchd did not apply a configuration (Open_vSwitch.cur_cfg < next_cfg) in time. */
export class OvsdbCurCfgTimeoutError extends OvsdbError {
  readonly wantedCfg: number;
  readonly curCfg: number | undefined;
  readonly timeoutMs: number;
  constructor(wantedCfg: number, curCfg: number | undefined, timeoutMs: number) {
    super(`ovs-vswitchd did not apply Open_vSwitch next_cfg ${wantedCfg} within ${timeoutMs} ms (cur_cfg ${curCfg ?? 'unknown'})`);
    this.wantedCfg = wantedCfg;
    this.curCfg = curCfg;
    this.timeoutMs = timeoutMs;
  }
}

import type { PlumbingMode } from '../config/types.js';
import { loadNative, type NativeAddon } from '../native/native.js';
import type { Plumbing } from './types.js';
import { IpPlumbing, type IpPlumbingOptions } from './ip-plumbing.js';
import { NetlinkPlumbing, hasNetlink } from './netlink-plumbing.js';
import { NativePlumbingUnavailableError } from './errors/native-plumbing-unavailable-error.js';

/** The plumbing in use and why: said once at start (log line and nsvswitch_native_active{part="netlink"}). */
export interface SelectedPlumbing {
  readonly plumbing: Plumbing;
  readonly path: 'netlink' | 'process';
  readonly reason: string;
}


/**
 * In-process rtnetlink when the addon loads (auto, native), else `ip` and
 * `nsenter` processes. `native` without a usable addon throws.
 */
export function selectPlumbing(mode: PlumbingMode, opts: IpPlumbingOptions, load: () => { addon: NativeAddon | undefined; reason: string } = loadNative): SelectedPlumbing {
  if (mode === 'process') return { plumbing: new IpPlumbing(opts), path: 'process', reason: 'plumbing: process' };
  const { addon, reason } = load();
  if (hasNetlink(addon)) return { plumbing: new NetlinkPlumbing(addon, opts), path: 'netlink', reason: 'native addon loaded' };
  const why = addon ? 'native addon built without rtnetlink (rebuild it: npm run build:native)' : `native addon not used (${reason})`;
  if (mode === 'native') throw new NativePlumbingUnavailableError(why);
  return { plumbing: new IpPlumbing(opts), path: 'process', reason: why };
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the native addon (native/nsvswitch.c) exports; netnsFd -1 = the agent's own namespace. */
export interface NativeAddon {
  setTxChecksum(netnsFd: number, ifname: string, on: boolean): void;
  getTxChecksum(netnsFd: number, ifname: string): boolean;
  writeNetnsFile(netnsFd: number, path: string, text: string): void;
}

/** Set NSVSWITCH_NATIVE=off to run without the addon (the process fallback); tests use it to cover that path. */
export const NATIVE_ENV = 'NSVSWITCH_NATIVE';

// src/native/ and dist/native/ both sit two levels below the project root.
const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'native', 'nsvswitch.node');

let cached: { addon: NativeAddon | undefined; reason: string } | undefined;

/** The addon, or undefined with the reason it is not used (not built, disabled, failed to load). */
export function loadNative(): { addon: NativeAddon | undefined; reason: string } {
  if (cached) return cached;
  if (process.env[NATIVE_ENV] === 'off') {
    cached = { addon: undefined, reason: `${NATIVE_ENV}=off` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    cached = { addon, reason: 'loaded' };
  } catch (err) {
    cached = { addon: undefined, reason: `cannot load ${ADDON_PATH}: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}

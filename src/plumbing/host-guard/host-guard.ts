import { closeSync, openSync } from 'node:fs';
import { run } from '../../exec/run.js';
import type { PlumbingMode } from '../../config/types.js';
import { CommandError } from '../../errors/command-error.js';
import { loadNative, type NativeAddon } from '../../native/native.js';
import type { Logger } from '../../observe/logger.js';
import { HostGuardError } from '../errors/host-guard-error.js';
import { NativePlumbingUnavailableError } from '../errors/native-plumbing-unavailable-error.js';
import { mapLimit } from '../map-limit.js';
import { InProcessFallback } from '../in-process-step.js';
import { addSealChains, deleteSealChains, hasGuardListing, hasNftables, listSealChains, replaceSealChains } from './netlink-seal.js';
import { dropTableScript, guardScript, guardTableName, parseGuardTable, rebuildScript, type ListedGuardTable } from './nft-text.js';
import { hostEndSysctls } from './sysctls.js';
import { writeSysctls, type InterfaceSysctl, type SysctlFailure } from '../sysctl-table.js';

/** Time limit of one nft or sysctl process, ms. */
export const GUARD_TIMEOUT_MS = 30_000;

/** Keeps the host's IP stack away from tenant frames on the host ends of veths. */
export interface HostGuard {
  /** Seals new host ends before they go up; per-interface failures, none thrown for one bad name. */
  seal(hostIfs: readonly string[]): Promise<Map<string, Error>>;
  /** Forgets host ends whose links were deleted (missing chains are fine). */
  release(hostIfs: readonly string[]): Promise<void>;
  /** Level-triggered: exactly `hostIfs` sealed (re-applies sysctls, replaces tampered chains, drops stale ones). */
  sync(hostIfs: readonly string[]): Promise<{ added: number; removed: number }>;
  /** Removes everything the guard owns (uninstall). */
  removeAll(): Promise<void>;
}

export interface NftHostGuardOptions {
  readonly bridge: string;
  /** Namespace file of the host ends; unset = the agent's own. */
  readonly hostNetns?: string;
  /** Install the nftables ingress drop (the userspace datapath); sysctls are always set. */
  readonly ingressDrop: boolean;
  readonly logger?: Logger;
  readonly onSpawn?: (program: string) => void;
  /** Test seam: the addon, or null to force the process fallback. Default: loadNative(). */
  readonly native?: NativeAddon | null;
  /**
   * How seals, releases and the full sync (listing and repair) reach nf_tables (the agent's `plumbing`
   * mode): `auto` in-process when the addon has nf_tables, else `nft`; `native` refuses to run without
   * it; `process` always `nft`. An addon built before the in-process listing lists with `nft`. Rebuilding
   * a table someone changed (rare) and removeAll (uninstall) always run `nft`. Default: auto.
   */
  readonly nftables?: PlumbingMode;
}

const NO_SUCH = /No such file or directory|does not exist/;

/**
 * HostGuard on nftables and per-interface sysctls. Seals and releases go to
 * nf_tables in-process (one netlink transaction from the native addon, no
 * process) or with one `nft -f -` per call, never per interface. The full
 * sync lists the table and repairs it in-process too (netlink dumps read as
 * the text listing is read), so a resync that finds nothing to change runs
 * no process; without the addon it runs `nft`. Sysctls are written
 * in-process through the addon, or with one `sysctl -w` process for all of
 * them when the addon is not there.
 */
export class NftHostGuard implements HostGuard {
  readonly table: string;
  /** Whether seals and releases run in-process (nf_tables netlink) rather than as `nft` processes. */
  readonly nftInProcess: boolean;
  private readonly native: NativeAddon | undefined;
  private readonly fallback: InProcessFallback<HostGuardError>;

  constructor(private readonly opts: NftHostGuardOptions) {
    this.table = guardTableName(opts.bridge);
    this.native = opts.native === null ? undefined : (opts.native ?? loadNative().addon);
    const mode = opts.nftables ?? 'auto';
    this.fallback = new InProcessFallback({
      mode, logger: opts.logger, fields: { table: `netdev ${this.table}` }, message: 'in-process nf_tables failed: nft process used for this call',
      wrap: (step, names, err) => new HostGuardError(this.table, names, `nf_tables ${step}`, err.message, { cause: err }),
      passThrough: (err) => err instanceof HostGuardError,
    });
    this.nftInProcess = mode !== 'process' && hasNftables(this.native);
    if (mode === 'native' && opts.ingressDrop && !this.nftInProcess) {
      throw new NativePlumbingUnavailableError(this.native ? 'native addon built without nf_tables (rebuild it: npm run build:native)' : `native addon not used (${loadNative().reason})`);
    }
  }

  async seal(hostIfs: readonly string[]): Promise<Map<string, Error>> {
    const failed = new Map<string, Error>();
    if (hostIfs.length === 0) return failed;
    await this.withHostNetns(async (fd) => {
      await this.applySysctls(hostIfs, failed, fd);
      const ok = hostIfs.filter((n) => !failed.has(n));
      if (!this.opts.ingressDrop || ok.length === 0) return;
      if (this.nftInProcess) {
        let chains: Map<string, Error> | undefined;
        try {
          chains = this.inProcess('seal', ok, () => addSealChains(this.native as NativeAddon, fd, this.table, ok));
        } catch (err) {
          for (const name of ok) failed.set(name, err as Error);
          return;
        }
        if (chains) {
          for (const [name, err] of chains) failed.set(name, err);
          return;
        }
      }
      await this.sealByProcess(ok, failed);
    });
    return failed;
  }

  // One `nft -f -` for every chain; one bad device aborts the whole script: then one at a time to find which.
  private async sealByProcess(ok: readonly string[], failed: Map<string, Error>): Promise<void> {
    const err = await this.nft(guardScript(this.table, ok, [])).catch((e: Error) => e);
    if (!err) return;
    await mapLimit(ok, 4, async (name) => {
      const one = await this.nft(guardScript(this.table, [name], [])).catch((e: Error) => e);
      if (one) failed.set(name, new HostGuardError(this.table, [name], 'nft add chain', one.message, { cause: one }));
    });
  }

  async release(hostIfs: readonly string[]): Promise<void> {
    if (!this.opts.ingressDrop || hostIfs.length === 0) return;
    // The links are gone already: a chain left behind drops nothing of value, and the next full
    // sync deletes it. So a failure here (listing or deleting) is logged, never thrown at the unplug.
    try {
      await this.withHostNetns(async (fd) => {
        const done = this.nftInProcess && this.inProcess('release', hostIfs, () => {
          deleteSealChains(this.native as NativeAddon, fd, this.table, hostIfs);
          return true;
        });
        if (done) return;
        const { sealed, other } = await this.list(fd);
        const present = hostIfs.filter((n) => sealed.has(n) || other.has(n));
        if (present.length > 0) await this.nft(guardScript(this.table, [], present));
      });
    } catch (err) {
      this.opts.logger?.debug({ table: this.table, ports: hostIfs.length, err: (err as Error).message }, 'host guard chains not deleted');
    }
  }

  async sync(hostIfs: readonly string[]): Promise<{ added: number; removed: number }> {
    const failed = new Map<string, Error>();
    await this.withHostNetns((fd) => this.applySysctls(hostIfs, failed, fd));
    if (failed.size > 0) {
      const [name, err] = [...failed][0]!;
      this.opts.logger?.warn({ port: name, count: failed.size, err: err.message }, 'host end sysctls not applied');
    }
    if (!this.opts.ingressDrop) return { added: 0, removed: 0 };
    const want = new Set(hostIfs);
    return this.withHostNetns(async (fd) => {
      const { sealed, other, tableChanged } = await this.list(fd);
      if (tableChanged) {
        // The table itself was changed (made dormant, given a set or a flowtable): rebuilt whole, atomically.
        // Rare (someone edited our table), so it stays one `nft -f -` rather than a table rebuild in the addon.
        await this.nft(rebuildScript(this.table, hostIfs));
        this.opts.logger?.warn({ table: `netdev ${this.table}`, ports: hostIfs.length }, 'host guard table changed by someone else: rebuilt');
        return { added: hostIfs.length, removed: sealed.size + other.size };
      }
      const add = hostIfs.filter((n) => !sealed.has(n));
      // Tampered chains (in `other`) are deleted and, when wanted, added again.
      const remove = [...sealed].filter((n) => !want.has(n)).concat([...other]);
      if (add.length === 0 && remove.length === 0) return { added: 0, removed: 0 };
      // A tampered chain is deleted and added again in the same transaction.
      const done = this.nftInProcess && this.inProcess('repair', [...add, ...remove], () => {
        replaceSealChains(this.native as NativeAddon, fd, this.table, add, remove);
        return true;
      });
      if (!done) await this.nft(guardScript(this.table, add, remove));
      return { added: add.length, removed: remove.length };
    });
  }

  // Uninstall only, beside the gateway table's `nft` and the unplug's `ip`: not worth an addon op.
  async removeAll(): Promise<void> {
    await this.nft(dropTableScript(this.table)).catch((err: Error) => {
      if (!NO_SUCH.test(err.message)) throw err;
    });
  }

  /** The table as `nft -s list` shows it, read in-process when the addon can (fd: the host ends' namespace, -1: the agent's own). */
  private async list(fd: number): Promise<ListedGuardTable> {
    if (this.nftInProcess && hasGuardListing(this.native)) {
      const addon = this.native;
      const listed = this.inProcess('list', [], () => listSealChains(addon, fd, this.table));
      if (listed) return listed;
    }
    this.opts.onSpawn?.('nft');
    try {
      const res = await run('nft', ['-s', 'list', 'table', 'netdev', this.table], this.runOpts());
      return parseGuardTable(res.stdout);
    } catch (err) {
      if (err instanceof CommandError && NO_SUCH.test(err.message)) return { sealed: new Set(), other: new Set(), tableChanged: false };
      throw new HostGuardError(this.table, [], 'nft list table', (err as Error).message, { cause: err });
    }
  }

  private async nft(script: string): Promise<void> {
    this.opts.onSpawn?.('nft');
    try {
      await run('nft', ['-f', '-'], { ...this.runOpts(), input: script });
    } catch (err) {
      throw new HostGuardError(this.table, [], 'nft -f', (err as Error).message, { cause: err });
    }
  }

  private runOpts(): { netns?: string; timeoutMs: number } {
    return { ...(this.opts.hostNetns !== undefined ? { netns: this.opts.hostNetns } : {}), timeoutMs: GUARD_TIMEOUT_MS };
  }

  /**
   * Runs an in-process step; a HostGuardError (a refusal the kernel named) is thrown as is. When the
   * transaction could not run at all (socket, namespace, a lost answer), `auto` says so once and
   * answers undefined so the caller runs `nft` instead (adding and deleting chains are idempotent);
   * `native` throws it as a HostGuardError.
   */
  private inProcess<T>(step: string, hostIfs: readonly string[], fn: () => T): T | undefined {
    return this.fallback.run(step, hostIfs, fn);
  }


  /**
   * `fn` with a descriptor of the host ends' namespace (-1: the agent's own), opened once for a whole call.
   * Opened and closed synchronously: microseconds, where a thread-pool round trip each was not (attach path).
   */
  private async withHostNetns<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    const needFd = this.opts.hostNetns !== undefined && this.native !== undefined;
    let fd = -1;
    try {
      if (needFd) fd = openSync(this.opts.hostNetns as string, 'r');
    } catch (err) {
      throw new HostGuardError(this.table, [], 'open host namespace', (err as Error).message, { cause: err });
    }
    try {
      return await fn(fd);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  // A missing ipv6 directory (IPv6 disabled on the host) is not a failure; anything else is.
  private async applySysctls(hostIfs: readonly string[], failed: Map<string, Error>, fd: number): Promise<void> {
    if (hostIfs.length === 0) return;
    if (this.native) {
      await this.sysctlsNative(hostIfs, failed, fd);
      return;
    }
    const args: string[] = [];
    for (const name of hostIfs) for (const s of hostEndSysctls(name)) args.push(`${s.key}=${s.value}`);
    this.opts.onSpawn?.('sysctl');
    const res = await run('sysctl', ['-q', '-w', ...args], { ...this.runOpts(), okExitCodes: [255, 1] });
    if (res.exitCode === 0) return;
    // sysctl names the key it could not set: attribute it to its interface.
    for (const line of res.stderr.split('\n')) {
      const name = hostIfs.find((n) => line.includes(`.${n}.`));
      if (name === undefined || /\.ipv6\./.test(line) && NO_SUCH.test(line)) continue;
      failed.set(name, new HostGuardError(this.table, [name], 'sysctl', line.trim()));
    }
  }

  // Through the addon, synchronously, one namespace entry per interface (-1: the agent's own namespace,
  // none entered): microseconds, where a thread-pool round trip per open, write and close was not.
  private async sysctlsNative(hostIfs: readonly string[], failed: Map<string, Error>, fd: number): Promise<void> {
    const native = this.native as NativeAddon;
    const ipv6Missing = (s: InterfaceSysctl, err: Error): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT' && s.path.includes('/ipv6/');
    for (const name of hostIfs) {
      const sysctls = hostEndSysctls(name);
      let f: SysctlFailure | undefined;
      try {
        f = writeSysctls(native, fd, sysctls, ipv6Missing);
      } catch (err) {
        // Arguments the addon refuses (a TypeError; never with paths hostEndSysctls made): this interface only.
        f = { sysctl: sysctls[0]!, error: err as Error };
      }
      if (f) failed.set(name, new HostGuardError(this.table, [name], `sysctl ${f.sysctl.key}`, f.error.message, { cause: f.error }));
    }
  }
}

import { closeSync, constants, openSync } from 'node:fs';
import type { NativeAddon, NativeOpError } from '../native/native.js';
import { isSafeIfName } from '../net/ifname.js';
import type { HostLink, PlugResult, PlugSpec } from './types.js';
import { IpPlumbing, SYNC_SLICE_MS, type IpPlumbingOptions, type Work } from './ip-plumbing.js';
import type { PinnedNamespace } from './pinned-namespace.js';
import { HostInterfaceExistsError } from './errors/host-interface-exists-error.js';
import { InterfaceNameTakenError } from './errors/interface-name-taken-error.js';
import { PlugStepError } from './errors/plug-step-error.js';
import { UnplugError } from './errors/unplug-error.js';

/** Longest run of synchronous netlink calls before the event loop gets a turn, ms (the round's slice, see IpPlumbing). */
export const NETLINK_SLICE_MS = SYNC_SLICE_MS;

export interface NetlinkPlumbingOptions extends IpPlumbingOptions {
  /** Test seam: called just before a namespace is configured (to remove it mid-plug). */
  readonly beforeConfigure?: (key: string) => void;
}

/** Whether this addon build has the rtnetlink calls (an addon built from older sources does not). */
export function hasNetlink(addon: NativeAddon | undefined): addon is NativeAddon {
  return typeof addon?.rtnlOpen === 'function' && typeof addon.rtnlConfigure === 'function';
}

/**
 * The plug round of IpPlumbing (pin, offloads, seal, vanish check, rollback)
 * with its link steps in-process through rtnetlink (native/rtnl.c): no `ip`
 * and no `nsenter` process at all. The veth is created from a socket in the
 * host namespace with its peer placed straight into the pinned namespace by
 * fd; the namespace side is configured through a socket opened inside it
 * (the thread enters it for one socket() call only). Each call is a few
 * system calls, made synchronously, and so are the round's file calls
 * (pinning, the host namespace, the vanish check): a single namespace is
 * plugged without one thread-pool round trip or turn of the event loop, and
 * one host socket serves a whole plug call. A burst yields to the event loop
 * every NETLINK_SLICE_MS so OVSDB and the HTTP endpoint are not starved.
 * Failures map to the same error classes as the process path.
 */
export class NetlinkPlumbing extends IpPlumbing {
  private readonly native: NativeAddon;
  private readonly beforeConfigure: (key: string) => void;
  /** Plug calls in progress: while there is one, the host socket is opened once and shared (see withHostSocket). */
  private plugging = 0;
  /** The shared host socket and how many calls are using it right now (closed when both counts are 0). */
  private shared: { readonly sock: number; users: number } | undefined;

  constructor(native: NativeAddon, opts: NetlinkPlumbingOptions = {}) {
    super(opts);
    this.native = native;
    this.beforeConfigure = opts.beforeConfigure ?? (() => undefined);
  }

  // One host route socket for the whole call (veths, host ends up, rollback), not one per step.
  override async plug(specs: readonly PlugSpec[]): Promise<PlugResult[]> {
    this.plugging++;
    try {
      return await super.plug(specs);
    } finally {
      this.plugging--;
      this.releaseShared();
    }
  }

  // Closes the shared host socket once no plug call is in progress and no call is using it.
  private releaseShared(): void {
    const s = this.shared;
    if (s === undefined || this.plugging > 0 || s.users > 0) return;
    this.shared = undefined;
    this.native.rtnlClose(s.sock);
  }

  override async unplug(hostIfs: readonly string[]): Promise<void> {
    const names = [...new Set(hostIfs)];
    if (names.length === 0) return;
    const bad = names.find((n) => !isSafeIfName(n));
    if (bad !== undefined) throw new UnplugError(new Map([[JSON.stringify(bad), 'not a valid interface name']]));
    const failures = new Map<string, string>();
    await this.withHostSocket(async (sock) => {
      for (const name of names) {
        await this.slice();
        const err = this.native.rtnlDeleteLink(sock, name);
        if (err && err.code !== 'ENODEV') failures.set(name, err.reason);
      }
    }).catch((err: Error) => failures.set(names.join(','), err.message));
    if (failures.size > 0) throw new UnplugError(failures);
    await this.guard?.release(names);
    this.logger?.debug({ count: names.length }, 'host veths deleted');
  }

  override async listHostLinks(prefix: string): Promise<Map<string, HostLink>> {
    return this.withHostSocket(async (sock) => {
      const out = new Map<string, HostLink>();
      for (const l of this.native.rtnlListLinks(sock, prefix)) out.set(l.name, { name: l.name, ifindex: l.ifindex, mtu: l.mtu, up: l.up });
      return out;
    });
  }

  protected override async createVeths(work: Work[]): Promise<void> {
    await this.hostSteps(work, 'create veth', (sock, w) => {
      const err = this.native.rtnlCreateVeth(sock, w.spec.hostIf, w.spec.mtu, w.spec.peerTmp, w.spec.mac, (w.pin as PinnedNamespace).fd);
      if (!err) w.created = true;
      else if (err.code === 'EEXIST') w.error = new HostInterfaceExistsError(w.spec.nsPath, w.spec.hostIf);
      else w.error = stepError(w, err);
    });
  }

  protected override async hostUp(work: Work[]): Promise<void> {
    await this.hostSteps(work, 'host end up', (sock, w) => {
      const err = this.native.rtnlHostUp(sock, w.spec.hostIf);
      if (err) w.error = stepError(w, err);
    });
  }

  protected override async configure(w: Work): Promise<void> {
    await this.slice();
    this.beforeConfigure(w.spec.key);
    const { spec } = w;
    let err: NativeOpError | null;
    try {
      const fd = (w.pin as PinnedNamespace).fd;
      const v6 = spec.ipv6;
      if (v6 === undefined) err = this.native.rtnlConfigure(fd, spec.peerTmp, spec.ifName, spec.ip ?? '', spec.prefixLen ?? 0, spec.gateway ?? null);
      else if (typeof this.native.rtnlConfigure6 !== 'function') throw new Error('the native addon was built without IPv6 (rtnlConfigure6): rebuild it (npm run build:native)');
      // ip null: an IPv6-only port (no IPv4 address or route).
      else err = this.native.rtnlConfigure6(fd, spec.peerTmp, spec.ifName, spec.ip ?? null, spec.prefixLen ?? 0, spec.gateway ?? null, v6.ip, v6.prefixLen, v6.gateway ?? null);
    } catch (thrown) {
      w.error = new PlugStepError(spec.nsPath, spec.hostIf, 'configure namespace', (thrown as Error).message, { cause: thrown });
      return;
    }
    if (!err) return;
    w.error = err.op === 'rename' && err.code === 'EEXIST' ? new InterfaceNameTakenError(spec.nsPath, spec.hostIf, spec.ifName) : stepError(w, err);
  }

  // One host socket for the whole step; a socket that cannot be opened fails every item of it.
  private async hostSteps(work: Work[], step: string, each: (sock: number, w: Work) => void): Promise<void> {
    if (work.length === 0) return;
    try {
      await this.withHostSocket(async (sock) => {
        for (const w of work) {
          await this.slice();
          try {
            each(sock, w);
          } catch (err) {
            // A value the addon refuses (TypeError) fails its own spec only.
            w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, step, (err as Error).message, { cause: err });
          }
        }
      });
    } catch (err) {
      for (const w of work) w.error ??= new PlugStepError(w.spec.nsPath, w.spec.hostIf, step, (err as Error).message, { cause: err });
    }
  }

  /**
   * A route socket in the host namespace (the configured one, held open for the moment the socket is
   * made). During a plug call one socket serves every step (and any other call meanwhile) and is closed
   * when the last of them ends: each request is sent and answered within one synchronous native call,
   * so calls never interleave on it.
   */
  private async withHostSocket<T>(fn: (sock: number) => Promise<T>): Promise<T> {
    if (this.plugging > 0) {
      const s = (this.shared ??= { sock: this.openHostSocket(), users: 0 });
      s.users++;
      try {
        return await fn(s.sock);
      } finally {
        s.users--;
        this.releaseShared();
      }
    }
    const sock = this.openHostSocket();
    try {
      return await fn(sock);
    } finally {
      this.native.rtnlClose(sock);
    }
  }

  // Synchronous: open(2) of a namespace file and one socket(2) are microseconds; a thread-pool round trip is not.
  private openHostSocket(): number {
    if (this.hostNetns === undefined) return this.native.rtnlOpen(-1);
    const fd = openSync(this.hostNetns, constants.O_RDONLY);
    try {
      return this.native.rtnlOpen(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function stepError(w: Work, err: NativeOpError): PlugStepError {
  return new PlugStepError(w.spec.nsPath, w.spec.hostIf, err.op, err.reason, { cause: err });
}

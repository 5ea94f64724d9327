import { setImmediate as nextTurn } from 'node:timers/promises';
import { run, type RunResult } from '../exec/run.js';
import { CommandError } from '../errors/command-error.js';
import type { Logger } from '../observe/logger.js';
import type { HostLink, Plumbing, PlugResult, PlugSpec } from './types.js';
import { batchText, hostLine, hostUpLine, namespaceLines, unplugLines, type BatchLine } from './batch-text.js';
import { parseBatchErrors, plainReason } from './batch-errors.js';
import { parseHostLinks } from './host-links.js';
import { mapLimit } from './map-limit.js';
import { pinNamespaceSync, type PinnedNamespace } from './pinned-namespace.js';
import { checkPlugSpec } from './spec-check.js';
import { isSafeIfName } from '../net/ifname.js';
import { HostInterfaceExistsError } from './errors/host-interface-exists-error.js';
import { InterfaceNameTakenError } from './errors/interface-name-taken-error.js';
import { InvalidPlugSpecError } from './errors/invalid-plug-spec-error.js';
import { NamespaceGoneError } from './errors/namespace-gone-error.js';
import { PlugStepError } from './errors/plug-step-error.js';
import { UnplugError } from './errors/unplug-error.js';
import type { HostGuard } from './host-guard/host-guard.js';
import { TxChecksumOffload } from './offload.js';
import { WorkloadIpv6Settings } from './workload-ipv6.js';

/** Per-namespace `nsenter ip -batch` processes in flight at once. */
export const DEFAULT_PLUG_CONCURRENCY = 8;
/** Namespaces pinned (held open) at once; bounds file descriptors in big bursts. */
export const MAX_PINNED_PER_ROUND = 512;
/** Time limit of one `ip` process, ms. */
export const IP_TIMEOUT_MS = 60_000;
/** Longest run of synchronous work of a round (pinning, vanish checks, netlink calls) before the event loop gets a turn, ms. */
export const SYNC_SLICE_MS = 5;

export interface IpPlumbingOptions {
  /** Namespace file where OVS and the host veth ends live; unset = the agent's own. */
  readonly hostNetns?: string;
  readonly logger?: Logger;
  /** Called once per child process: 'ip' for host-side batches, 'nsenter' for per-namespace ones. */
  readonly onSpawn?: (program: string) => void;
  /** Per-namespace processes in flight at once (default 8). */
  readonly concurrency?: number;
  /** Namespaces held open per round (default 512); a bigger burst is plugged in several rounds. */
  readonly maxPinned?: number;
  /** Seals host ends (ingress drop, sysctls) before they go up; unset = not sealed (raw plumbing tests only). */
  readonly guard?: HostGuard;
  /** Turns tx checksum offload off on workload ends (default: native addon or ethtool fallback). */
  readonly offload?: TxChecksumOffload;
  /** Whether to turn it off at all (default true; false keeps the veth's offloads, see docs/pipeline.md). */
  readonly disableTxChecksum?: boolean;
  /** Writes the IPv6 sysctls of dual-stack ports' workload ends (default: native addon or sysctl fallback). */
  readonly ipv6Settings?: WorkloadIpv6Settings;
}

/** One spec in flight: its pinned namespace, whether its veth exists because of us, its failure. */
export interface Work {
  readonly index: number;
  readonly spec: PlugSpec;
  pin?: PinnedNamespace;
  created: boolean;
  error?: Error;
}

/** What became of one line of a host batch. */
type BatchOutcome = { readonly kind: 'ok' } | { readonly kind: 'failed' | 'stopped'; readonly reason: string };

const NO_DEVICE = /Cannot find device|No such device/;
const EXISTS = /File exists/;

/**
 * Kernel plumbing with `ip -batch`: one host process creates every veth of a
 * burst (peers straight into their namespaces, host ends down); the
 * workload ends lose tx checksum offload (in-process); the host ends are
 * sealed (guard) and only then brought up (one more host process); then one
 * process per namespace renames, addresses and routes, a few in parallel.
 * Failures are per namespace and leave nothing behind.
 *
 * - Namespaces are opened (pinned) first and referred to as /proc/PID/fd/N,
 *   so their untrusted paths never enter batch text, and one that vanishes
 *   mid-plug cannot abort ip (an unopenable `netns` value is fatal to a whole
 *   batch) and is detected afterwards by path+inode.
 * - The host batch uses -force (one line per namespace, failures attributed
 *   by line); the per-namespace batch does not: after a failed rename the
 *   later lines would configure whatever interface already has that name.
 * - Not idempotent by design: plugging a spec whose host veth exists fails
 *   with HostInterfaceExistsError and leaves that veth alone. The reconciler
 *   plugs only what is missing and unplugs leftovers first.
 */
export class IpPlumbing implements Plumbing {
  protected readonly hostNetns: string | undefined;
  protected readonly logger: Logger | undefined;
  private readonly onSpawn: (program: string) => void;
  private readonly concurrency: number;
  private readonly maxPinned: number;
  protected readonly guard: HostGuard | undefined;
  private readonly offload: TxChecksumOffload | undefined;
  private readonly ipv6Settings: WorkloadIpv6Settings;
  private sliceStart = 0;

  constructor(opts: IpPlumbingOptions = {}) {
    this.guard = opts.guard;
    this.ipv6Settings = opts.ipv6Settings ?? new WorkloadIpv6Settings(opts.onSpawn ? { onSpawn: opts.onSpawn } : {});
    this.offload = opts.disableTxChecksum === false ? undefined : (opts.offload ?? new TxChecksumOffload(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}));
    this.hostNetns = opts.hostNetns;
    this.logger = opts.logger;
    this.onSpawn = opts.onSpawn ?? (() => undefined);
    this.concurrency = Math.max(1, opts.concurrency ?? DEFAULT_PLUG_CONCURRENCY);
    this.maxPinned = Math.max(1, opts.maxPinned ?? MAX_PINNED_PER_ROUND);
  }

  async plug(specs: readonly PlugSpec[]): Promise<PlugResult[]> {
    const results: PlugResult[] = [];
    for (let i = 0; i < specs.length; i += this.maxPinned) {
      results.push(...(await this.plugRound(specs.slice(i, i + this.maxPinned))));
    }
    return results;
  }

  async unplug(hostIfs: readonly string[]): Promise<void> {
    const names = [...new Set(hostIfs)];
    if (names.length === 0) return;
    const bad = names.find((n) => !isSafeIfName(n));
    if (bad !== undefined) throw new UnplugError(new Map([[JSON.stringify(bad), 'not a valid interface name']]));
    const lines = unplugLines(names);
    const res = await this.hostIp(['-force', '-batch', '-'], batchText(lines));
    const errs = parseBatchErrors(res.stderr);
    const failures = new Map<string, string>();
    for (const [line, msg] of errs.byLine) {
      if (!NO_DEVICE.test(msg)) failures.set(names[line - 1] ?? `line ${line}`, plainReason(msg));
    }
    if (res.exitCode !== 0 && errs.byLine.size === 0) failures.set(names.join(','), errs.trailing || `ip exited ${res.exitCode}`);
    if (failures.size > 0) throw new UnplugError(failures);
    await this.guard?.release(names);
    this.logger?.debug({ count: names.length }, 'host veths deleted');
  }

  async guardHostEnds(hostIfs: readonly string[]): Promise<{ added: number; removed: number }> {
    return this.guard ? this.guard.sync(hostIfs) : { added: 0, removed: 0 };
  }

  async listHostLinks(prefix: string): Promise<Map<string, HostLink>> {
    const res = await this.hostIp(['-j', 'link', 'show'], undefined, []);
    return parseHostLinks(res.stdout, prefix);
  }

  /** One round: pin, one host batch, per-namespace batches, vanish check, rollback. */
  private async plugRound(specs: readonly PlugSpec[]): Promise<PlugResult[]> {
    const started = performance.now();
    const work: Work[] = specs.map((spec, index) => ({ index, spec, created: false }));
    // The round's synchronous work counts from here (not from the last yield, maybe long ago: no needless turn first).
    this.sliceStart = started;
    try {
      await this.pinAll(work);
      await this.createVeths(work.filter((w) => w.pin && !w.error));
      await this.disableOffloads(work.filter((w) => w.created && !w.error));
      await this.workloadIpv6(work.filter((w) => w.created && !w.error && w.spec.ipv6 !== undefined));
      await this.seal(work.filter((w) => w.created && !w.error));
      await this.hostUp(work.filter((w) => w.created && !w.error));
      await mapLimit(work.filter((w) => w.created && !w.error), this.concurrency, (w) => this.configure(w));
      await this.checkVanished(work.filter((w) => w.created && !w.error));
      await this.rollback(work.filter((w) => w.created && w.error));
    } finally {
      for (const w of work) {
        try {
          w.pin?.closeSync();
        } catch {
          // nothing to do about a descriptor that will not close
        }
      }
    }
    const failed = work.filter((w) => w.error);
    for (const w of failed) {
      // A namespace gone between event and plug is routine churn (a container stopped): no warning.
      const level = w.error instanceof NamespaceGoneError ? 'debug' : 'warn';
      this.logger?.[level]({ namespace: w.spec.nsPath, port: w.spec.hostIf, error: w.error?.message }, 'namespace not plugged');
    }
    this.logger?.debug({ count: specs.length, failed: failed.length, duration: (performance.now() - started) / 1000 }, 'plug round done');
    return work.map((w) => (w.error ? { key: w.spec.key, ok: false, error: w.error } : { key: w.spec.key, ok: true }));
  }

  // Checks every spec and holds its namespace open; bad or missing ones fail here, before any spawn.
  private async pinAll(work: Work[]): Promise<void> {
    const seen = new Set<string>();
    for (const w of work) {
      w.error = checkPlugSpec(w.spec);
      if (!w.error && seen.has(w.spec.hostIf)) {
        w.error = new InvalidPlugSpecError(w.spec.nsPath, w.spec.hostIf, 'host interface name (twice in one plug)', w.spec.hostIf);
      }
      seen.add(w.spec.hostIf);
    }
    // Synchronous system calls (a few microseconds each on nsfs), not a thread-pool round trip each.
    for (const w of work) {
      if (w.error) continue;
      await this.slice();
      const pinned = pinNamespaceSync(w.spec.nsPath, w.spec.inode);
      if (pinned.ok) w.pin = pinned.ns;
      else w.error = new NamespaceGoneError(w.spec.nsPath, w.spec.hostIf, pinned.reason);
    }
  }

  // One `ip -force -batch` for all veths (host ends stay down); each line's failure is attributed to its spec.
  protected async createVeths(work: Work[]): Promise<void> {
    const outcomes = await this.hostBatch(work, 'create veth', work.map((w) => hostLine(w.spec, (w.pin as PinnedNamespace).ref)));
    work.forEach((w, i) => {
      const o = outcomes[i];
      if (o === undefined || o.kind === 'failed') {
        if (o !== undefined) {
          w.error = EXISTS.test(o.reason) ? new HostInterfaceExistsError(w.spec.nsPath, w.spec.hostIf) : new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'create veth', plainReason(o.reason));
        }
        return;
      }
      // A line of a batch that stopped early may or may not have run: treated as created so rollback removes it.
      w.created = true;
      if (o.kind === 'stopped') w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'create veth', o.reason);
    });
  }

  // Workload ends compute their own checksums (see offload.ts): in-process, before the namespace can use the link.
  private async disableOffloads(work: Work[]): Promise<void> {
    if (work.length === 0 || !this.offload) return;
    const pins = work.map((w) => w.pin as PinnedNamespace);
    const failed = await this.offload.disable(work.map((w, i) => ({ fd: pins[i]!.fd, ref: pins[i]!.ref, ifname: w.spec.peerTmp })));
    for (const [i, err] of failed) {
      const w = work[i]!;
      w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'tx checksum offload off', err.message, { cause: err });
    }
  }

  // Dual-stack ports: no RA, no SLAAC, no DAD on the workload end, set while it is still down (workload-ipv6.ts).
  private async workloadIpv6(work: Work[]): Promise<void> {
    if (work.length === 0) return;
    const pins = work.map((w) => w.pin as PinnedNamespace);
    const failed = await this.ipv6Settings.apply(work.map((w, i) => ({ fd: pins[i]!.fd, ref: pins[i]!.ref, ifname: w.spec.peerTmp })));
    for (const [i, err] of failed) {
      const w = work[i]!;
      w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'IPv6 settings', err.message, { cause: err });
    }
  }

  // The host ends are sealed while still down: the host stack never sees a frame from them.
  private async seal(work: Work[]): Promise<void> {
    if (work.length === 0 || !this.guard) return;
    let failed: Map<string, Error>;
    try {
      failed = await this.guard.seal(work.map((w) => w.spec.hostIf));
    } catch (err) {
      failed = new Map(work.map((w) => [w.spec.hostIf, err as Error]));
    }
    for (const w of work) {
      const err = failed.get(w.spec.hostIf);
      if (err) w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'seal host end', err.message, { cause: err });
    }
  }

  // One `ip -force -batch` bringing the sealed host ends up.
  protected async hostUp(work: Work[]): Promise<void> {
    const outcomes = await this.hostBatch(work, 'host end up', work.map((w) => hostUpLine(w.spec)));
    work.forEach((w, i) => {
      const o = outcomes[i];
      if (o !== undefined && o.kind !== 'ok') w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'host end up', o.kind === 'failed' ? plainReason(o.reason) : o.reason);
    });
  }

  /**
   * One host `ip -force -batch`, line i for work[i]: each line's outcome (its own error, or "stopped" when
   * ip gave up before the end). A batch that could not run at all fails every item here and yields none.
   */
  private async hostBatch(work: Work[], step: string, lines: readonly BatchLine[]): Promise<BatchOutcome[]> {
    if (work.length === 0) return [];
    let res: RunResult;
    try {
      res = await this.hostIp(['-force', '-batch', '-'], batchText(lines));
    } catch (err) {
      for (const w of work) w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, step, (err as Error).message, { cause: err });
      return [];
    }
    const errs = parseBatchErrors(res.stderr);
    const fatal = res.exitCode !== 0 && res.exitCode !== 1;
    return work.map((_, i): BatchOutcome => {
      const msg = errs.byLine.get(i + 1);
      if (msg !== undefined) return { kind: 'failed', reason: msg };
      if (fatal) return { kind: 'stopped', reason: `ip stopped early (exit ${res.exitCode}): ${errs.trailing}` };
      return { kind: 'ok' };
    });
  }

  // One `nsenter ip -batch` inside the namespace: rename, address, lo up, link up, default route.
  protected async configure(w: Work): Promise<void> {
    const lines = namespaceLines(w.spec);
    const ref = (w.pin as PinnedNamespace).ref;
    let res: RunResult;
    try {
      this.onSpawn('nsenter');
      res = await run('ip', ['-batch', '-'], { netns: ref, input: batchText(lines), timeoutMs: IP_TIMEOUT_MS, okExitCodes: [1, 255] });
    } catch (err) {
      const reason = err instanceof CommandError ? err.stderr.trim() || err.message : (err as Error).message;
      w.error = new PlugStepError(w.spec.nsPath, w.spec.hostIf, 'configure namespace', reason, { cause: err });
      return;
    }
    if (res.exitCode === 0) return;
    w.error = this.namespaceStepError(w.spec, lines, res);
  }

  private namespaceStepError(spec: PlugSpec, lines: readonly BatchLine[], res: RunResult): Error {
    const errs = parseBatchErrors(res.stderr);
    const [first] = [...errs.byLine].sort((a, b) => a[0] - b[0]);
    if (!first) return new PlugStepError(spec.nsPath, spec.hostIf, 'configure namespace', errs.trailing || `ip exited ${res.exitCode}`);
    const [lineNo, msg] = first;
    const line = lines[lineNo - 1];
    if (line?.step === 'rename' && EXISTS.test(msg)) return new InterfaceNameTakenError(spec.nsPath, spec.hostIf, spec.ifName);
    return new PlugStepError(spec.nsPath, spec.hostIf, line?.text ?? `line ${lineNo}`, plainReason(msg));
  }

  // A namespace whose file went away mid-plug must not keep a port: fail it so rollback deletes the veth.
  private async checkVanished(work: Work[]): Promise<void> {
    for (const w of work) {
      await this.slice();
      const reason = (w.pin as PinnedNamespace).goneSync();
      if (reason !== undefined) w.error = new NamespaceGoneError(w.spec.nsPath, w.spec.hostIf, reason);
    }
  }

  /** Gives the event loop a turn once the round's synchronous work has held it for SYNC_SLICE_MS. */
  protected async slice(): Promise<void> {
    if (performance.now() - this.sliceStart < SYNC_SLICE_MS) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }

  // Deletes the host veths this call created for failed specs (the peers go with them), in one process.
  private async rollback(work: Work[]): Promise<void> {
    if (work.length === 0) return;
    try {
      await this.unplug(work.map((w) => w.spec.hostIf));
    } catch (err) {
      this.logger?.error({ ports: work.map((w) => w.spec.hostIf), error: (err as Error).message }, 'rollback of failed plugs incomplete');
    }
  }

  // -force batches exit 1 when some line failed (attributed per line); 255 when ip stopped early.
  private hostIp(args: string[], input?: string, okExitCodes: readonly number[] = [1, 255]): Promise<RunResult> {
    this.onSpawn('ip');
    return run('ip', args, {
      ...(this.hostNetns !== undefined ? { netns: this.hostNetns } : {}),
      ...(input !== undefined ? { input } : {}),
      timeoutMs: IP_TIMEOUT_MS,
      okExitCodes,
    });
  }
}

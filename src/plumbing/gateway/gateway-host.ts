import { run } from '../../exec/run.js';
import type { PlumbingMode } from '../../config/types.js';
import { CommandError } from '../../errors/command-error.js';
import { loadNative, type NativeAddon, type NativeFileError } from '../../native/native.js';
import type { Logger } from '../../observe/logger.js';
import { batchText, type BatchLine } from '../batch-text.js';
import { writeSysctls, type InterfaceSysctl } from '../sysctl-table.js';
import { parseBatchErrors, plainReason } from '../batch-errors.js';
import { isSafeIfName } from '../../net/index.js';
import { GatewayHostError } from '../errors/gateway-host-error.js';
import { NativePlumbingUnavailableError } from '../errors/native-plumbing-unavailable-error.js';
import { InProcessFallback, withNetnsFdSync } from '../in-process-step.js';
import { hasNftables } from '../host-guard/netlink-seal.js';
import { gatewayTableDigest, hasTableDigest } from './netlink-digest.js';
import { hasInterfaceReads, readLinks, readSysctls, type InterfaceAddon } from './netlink-interfaces.js';
import { gatewayInterfaceSysctls, IP_FORWARD_ON } from './sysctls.js';
import { deleteScript, gatewayRuleset, gatewayTableName, parseGatewayCounters, parseGatewayTable, replaceScript, withCanon, type GatewayCounterName, type GatewayRules, type GatewayRuleset, type ListedGatewayTable } from './gateway-nft-text.js';

/** Time limit of one ip, nft, sysctl or conntrack process, ms. */
export const GATEWAY_TIMEOUT_MS = 30_000;

/** Packets and bytes through one named counter of a tenant gateway. */
export interface GatewayCount {
  readonly packets: number;
  readonly bytes: number;
}

/** Tenant id → counter → count, as the kernel holds them now (reset when the table is rewritten). */
export type GatewayCounters = ReadonlyMap<number, ReadonlyMap<GatewayCounterName, GatewayCount>>;

/** One tenant gateway as the host sees it: its interface (the OVS internal port), address and policy. */
export interface GatewayHostSpec extends GatewayRules {
  readonly prefixLen: number;
}

export interface GatewaySyncResult {
  /** What was written (empty: nothing): "table", "address <if>", "up <if>", "ip_forward". */
  readonly changed: readonly string[];
  /** Gateway interfaces that do not exist (yet): ovs-vswitchd creates them when it applies the port. */
  readonly missing: readonly string[];
  /** IPv4 forwarding was off and was turned on (every interface's forwarding sysctl changed with it). */
  readonly forwardingTurnedOn: boolean;
}

/** The host side of tenant gateways: interface addresses and sysctls, the nftables table, conntrack. */
export interface GatewayHost {
  /**
   * Level-triggered: exactly these gateways exist on the host side (table
   * first, then sysctls and addresses). `verify` reads the kernel even when
   * nothing changed since the last call (start, periodic resync).
   */
  sync(gws: readonly GatewayHostSpec[], verify: boolean): Promise<GatewaySyncResult>;
  /** Drops conntrack entries (and so NAT bindings) to or from these subnets: tenants that are gone. */
  forget(subnets: readonly string[]): Promise<void>;
  /** Removes the table (uninstall); interfaces go with their OVS ports. */
  removeAll(): Promise<void>;
  /** The gateways' named counters (one `nft -j list counters`); empty when there is no table. */
  readCounters(): Promise<GatewayCounters>;
}

export interface NftGatewayHostOptions {
  readonly bridge: string;
  /** Namespace file of the host side (where ovs-vswitchd runs); unset = the agent's own. */
  readonly hostNetns?: string;
  readonly logger?: Logger;
  readonly onSpawn?: (program: string) => void;
  /** Test seam: the addon, or null to force the process path. Default: loadNative(). */
  readonly native?: NativeAddon | null;
  /**
   * How the full sync checks the table for edits (the agent's `plumbing` mode): `auto` in-process (a
   * digest of nf_tables dumps) when the addon has it, else `nft -s list`; `native` refuses to run
   * without nf_tables in the addon, and a digest that cannot be read is an error; `process` always
   * `nft`. Writing the table (`nft -f -`) and the listing that decides once something changed stay
   * processes in every mode. Default: auto.
   */
  readonly nftables?: PlumbingMode;
  /**
   * How the full sync reads IPv4 forwarding and the gateway interfaces' sysctls, addresses and admin state,
   * and writes the sysctls: `auto` in-process (the /proc/sys/net files of the host namespace read and written
   * through the addon, only the sysctls that differ written; links and addresses read over rtnetlink) when
   * the addon has it, else `sysctl` and `ip -j addr show`; `native`: an in-process step that cannot run is an
   * error (an addon built before these reads runs the processes); `process` always the processes (every sysctl
   * written each time). Adding and deleting addresses and setting a link up (only when something differs)
   * stay one `ip -batch` in every mode. Default: the `nftables` mode (the agent's `plumbing` rules both).
   */
  readonly interfaces?: PlumbingMode;
}

/** The `sysctl -w` assignments of a gateway interface's sysctls (GATEWAY_SYSCTLS), for the process path. */
export function gatewaySysctls(ifName: string): string[] {
  return gatewayInterfaceSysctls(ifName).map((s) => `${s.key}=${s.value}`);
}

const NO_SUCH = /No such file or directory|does not exist/;

/** A host without IPv6 has no ipv6 directory: not a failure (as `sysctl`'s "No such file" for an ipv6 key is not). */
const ipv6Missing = (s: InterfaceSysctl, err: Error): boolean => (err as NativeFileError).code === 'ENOENT' && s.path.includes('/ipv6/');

/** A gateway interface as the full sync reads it: admin state and IPv4 addresses (`address/prefix`). */
export interface LinkState {
  readonly up: boolean;
  readonly addrs: readonly string[];
}

/** `ip -j addr show` → interface name → admin state and IPv4 addresses with prefix. */
export function parseAddrs(json: string): Map<string, LinkState> {
  const rows = JSON.parse(json.trim() || '[]') as { ifname?: string; flags?: string[]; addr_info?: { family?: string; local?: string; prefixlen?: number }[] }[];
  const out = new Map<string, LinkState>();
  for (const r of rows) {
    if (typeof r.ifname !== 'string') continue;
    const addrs = (r.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => `${a.local}/${a.prefixlen}`);
    out.set(r.ifname, { up: (r.flags ?? []).includes('UP'), addrs });
  }
  return out;
}

/** The `ip -batch` lines that give each present gateway interface exactly its address, and bring it up. */
export function addressLines(gws: readonly GatewayHostSpec[], links: ReadonlyMap<string, LinkState>): { lines: BatchLine[]; changed: string[]; missing: string[] } {
  const lines: BatchLine[] = [];
  const changed: string[] = [];
  const missing: string[] = [];
  for (const g of gws) {
    if (!isSafeIfName(g.ifName)) throw new TypeError(`unsafe interface name: ${JSON.stringify(g.ifName)}`);
    const link = links.get(g.ifName);
    if (!link) {
      missing.push(g.ifName);
      continue;
    }
    const want = `${g.ip}/${g.prefixLen}`;
    for (const a of link.addrs) {
      if (a === want) continue;
      lines.push({ step: 'delete address', text: `addr del ${a} dev ${g.ifName}` });
      changed.push(`address ${g.ifName}`);
    }
    if (!link.addrs.includes(want)) {
      lines.push({ step: 'address', text: `addr add ${want} dev ${g.ifName}` });
      changed.push(`address ${g.ifName}`);
    }
    if (!link.up) {
      lines.push({ step: 'up', text: `link set dev ${g.ifName} up` });
      changed.push(`up ${g.ifName}`);
    }
  }
  return { lines, changed: [...new Set(changed)], missing };
}

/**
 * GatewayHost on nftables (one table, replaced whole and atomically when it
 * differs), `ip -batch` for addresses, sysctls and `conntrack -D`. All in
 * the host namespace, argv only. The full sync finds an untouched table
 * in-process (a digest of nf_tables dumps from the addon; see
 * replaceIfDifferent), and reads forwarding, the interfaces' sysctls,
 * addresses and state in-process too (sysctl files through the addon,
 * rtnetlink), writing only sysctls that differ: a periodic resync that
 * changes nothing starts no process. Without the addon, `sysctl` and `ip`.
 */
export class NftGatewayHost implements GatewayHost {
  readonly table: string;
  /** Fingerprint of the ruleset last written or verified; undefined = read the kernel first. */
  private applied: string | undefined;
  /** How this host's nft lists a ruleset (fingerprint → canonical hash), when it differs from the predicted one. */
  private readonly listedCanon = new Map<string, string>();
  /** Gateway interfaces whose address, state and sysctls were last found or made right. */
  private readonly configured = new Set<string>();
  private forwardingKnownOn = false;
  /** Whether the full sync checks an unchanged table in-process (nftTableDigest) rather than with `nft -s list`. */
  readonly checkInProcess: boolean;
  private readonly native: NativeAddon | undefined;
  /**
   * The table's digest when an `nft -s` listing last found it intact (read before and after that
   * listing, and equal), with the ruleset it held. Unset after a start, a change or an edit: then
   * the listing decides, and records it again.
   */
  private intact: { readonly fingerprint: string; readonly digest: string } | undefined;
  /** Whether the full sync reads forwarding and the interfaces' sysctls, addresses and state in-process rather than with `sysctl` and `ip`. */
  readonly interfacesInProcess: boolean;
  /** The table check's fallback to `nft`, and the interface side's to `sysctl` and `ip`: each said once. */
  private readonly tableFallback: InProcessFallback<GatewayHostError>;
  private readonly interfacesFallback: InProcessFallback<GatewayHostError>;

  constructor(private readonly opts: NftGatewayHostOptions) {
    this.table = gatewayTableName(opts.bridge);
    this.native = opts.native === null ? undefined : (opts.native ?? loadNative().addon);
    const mode = opts.nftables ?? 'auto';
    this.checkInProcess = mode !== 'process' && hasTableDigest(this.native);
    if (mode === 'native' && !hasNftables(this.native)) {
      throw new NativePlumbingUnavailableError(this.native ? 'native addon built without nf_tables (rebuild it: npm run build:native)' : `native addon not used (${loadNative().reason})`);
    }
    const interfacesMode = opts.interfaces ?? mode;
    // An addon built before the interface reads runs the processes, as one built before the digest lists with nft.
    this.interfacesInProcess = interfacesMode !== 'process' && hasInterfaceReads(this.native);
    if (interfacesMode === 'native' && !this.native) throw new NativePlumbingUnavailableError(`native addon not used (${loadNative().reason})`);
    const fallback = (m: PlumbingMode, message: string) => new InProcessFallback({
      mode: m, logger: opts.logger, fields: { table: `inet ${this.table}` }, message,
      wrap: (step, names, err) => new GatewayHostError(this.table, names, step, err.message, { cause: err }),
      // A sysctl write the kernel refused is refused to the process as well.
      passThrough: (err) => err instanceof GatewayHostError,
    });
    this.tableFallback = fallback(mode, 'in-process nf_tables failed: nft process used for this call');
    this.interfacesFallback = fallback(interfacesMode, 'in-process sysctls or rtnetlink failed: sysctl and ip processes used for this call');
  }

  async sync(gws: readonly GatewayHostSpec[], verify: boolean): Promise<GatewaySyncResult> {
    const changed: string[] = [];
    if (verify) {
      this.applied = undefined;
      this.configured.clear();
      this.forwardingKnownOn = false;
    }
    // 1. The filter first: a gateway interface is never up and addressed without it.
    const ruleset = gatewayRuleset(this.table, gws);
    if (gws.length === 0) {
      // Known absent (in-process): no `nft delete table` on every full sync of a host without gateways.
      if (this.applied !== 'absent' && this.digest() !== null && (await this.deleteTable())) changed.push('table');
      this.applied = 'absent';
      this.intact = undefined;
      this.configured.clear();
      return { changed, missing: [], forwardingTurnedOn: false };
    }
    if (this.applied !== ruleset.fingerprint) {
      if (await this.replaceIfDifferent(ruleset)) changed.push('table');
      this.applied = ruleset.fingerprint;
    }
    // 2. Forwarding: the host routes the tenants' traffic (and the replies coming back on its uplinks).
    const forwardingTurnedOn = await this.ensureForwarding();
    if (forwardingTurnedOn) changed.push('ip_forward');
    // 3. Interfaces not configured yet (new, or verify): sysctls, then address and up.
    for (const name of this.configured) if (!gws.some((g) => g.ifName === name)) this.configured.delete(name);
    const todo = gws.filter((g) => !this.configured.has(g.ifName));
    if (todo.length === 0) return { changed, missing: [], forwardingTurnedOn };
    const names = todo.map((g) => g.ifName);
    const links = this.viaAddon('rtnetlink links and addresses', names, (addon, fd) => readLinks(addon, fd, names)) ?? parseAddrs((await this.ip(['-j', 'addr', 'show'])).stdout);
    const present = todo.filter((g) => links.has(g.ifName));
    if (present.length > 0) await this.applySysctls(present.map((g) => g.ifName));
    const plan = addressLines(present, links);
    // Only when an address or the state differs (a new gateway, an edit by hand): rare, so one `ip -batch` on every path.
    if (plan.lines.length > 0) {
      const res = await this.ip(['-force', '-batch', '-'], batchText(plan.lines), [1, 255]);
      const errs = parseBatchErrors(res.stderr);
      if (res.exitCode !== 0) {
        const [first] = [...errs.byLine];
        const line = first ? plan.lines[first[0] - 1]?.text ?? '' : '';
        throw new GatewayHostError(this.table, present.map((g) => g.ifName), `ip ${line}`.trim(), first ? plainReason(first[1]) : errs.trailing || `ip exited ${res.exitCode}`);
      }
      changed.push(...plan.changed);
    }
    for (const g of present) this.configured.add(g.ifName);
    return { changed, missing: todo.filter((g) => !links.has(g.ifName)).map((g) => g.ifName), forwardingTurnedOn };
  }

  async forget(subnets: readonly string[]): Promise<void> {
    for (const s of subnets) {
      const [addr, len] = s.split('/');
      const prefix = Number(len);
      if (!addr || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) continue;
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const maskText = [24, 16, 8, 0].map((b) => (mask >>> b) & 0xff).join('.');
      for (const dir of [['--orig-src', '--mask-src'], ['--orig-dst', '--mask-dst']] as const) {
        this.opts.onSpawn?.('conntrack');
        try {
          // Exit 1 with "0 flow entries have been deleted" when there were none.
          await run('conntrack', ['-D', '-f', 'ipv4', dir[0], addr, dir[1], maskText], { ...this.runOpts(), okExitCodes: [1] });
        } catch (err) {
          this.opts.logger?.warn({ table: this.table, subnet: s, err: (err as Error).message }, 'conntrack entries of a removed tenant not flushed (they expire on their own)');
          break;
        }
      }
    }
  }

  async removeAll(): Promise<void> {
    await this.deleteTable();
    this.applied = 'absent';
    this.intact = undefined;
    this.configured.clear();
  }

  async readCounters(): Promise<GatewayCounters> {
    this.opts.onSpawn?.('nft');
    try {
      const res = await run('nft', ['-j', 'list', 'counters', 'table', 'inet', this.table], this.runOpts());
      return parseGatewayCounters(res.stdout);
    } catch (err) {
      if (err instanceof CommandError && NO_SUCH.test(err.message)) return new Map();
      throw new GatewayHostError(this.table, [], 'nft list counters', (err as Error).message, { cause: err });
    }
  }

  /**
   * Replaces the table unless it holds exactly this ruleset: written for it
   * (the comment's fingerprint) and not edited since (the listing still
   * hashes to what the comment recorded). An edit in place (a rule replaced,
   * deleted or added, a chain's policy, a counter, the table made dormant)
   * is found here and undone by the rewrite.
   *
   * In-process first: a digest of the table (nftTableDigest; counter values,
   * quota used, reference counts, handles and the ruleset generation left
   * out) equal to the one recorded when a listing last found this ruleset
   * intact means nobody edited it since: no process. Otherwise the `nft -s`
   * listing decides, exactly as without the addon, and finding the table
   * intact records its digest. After a start there is no digest yet (it is
   * in memory only, keyed per process): the listing decides once (the
   * comment's fingerprint and hash), then the digest is recorded. A digest
   * alone does not decide a rewrite: it says "changed", not whose the table
   * is, and one that changed for a reason the listing does not show (state
   * the digest does not know to leave out) must cost a listing, never a
   * rewrite (a rewrite zeroes the counters the metrics read).
   */
  private async replaceIfDifferent(wanted: GatewayRuleset): Promise<boolean> {
    const before = this.digest();
    if (typeof before === 'string' && this.intact?.fingerprint === wanted.fingerprint && this.intact.digest === before) return false;
    this.intact = undefined;
    const current = await this.listTable();
    if (current && current.fingerprint === wanted.fingerprint && current.recordedCanon === current.canon) {
      this.recordIntact(wanted.fingerprint, before);
      return false;
    }
    const known = this.listedCanon.get(wanted.fingerprint);
    const r = known !== undefined ? withCanon(wanted, known) : wanted;
    await this.nft(replaceScript(r), 'nft replace table');
    const edited = current?.fingerprint === wanted.fingerprint;
    this.opts.logger?.[edited ? 'warn' : 'info']({ table: `inet ${this.table}`, fingerprint: r.fingerprint, chains: r.chains, rules: r.rules, was: current ? `${current.fingerprint ?? 'no fingerprint'}${edited ? ' (edited in place)' : ''}` : 'absent' },
      edited ? 'gateway nftables table edited by someone else: rewritten' : 'gateway nftables table written');
    // This nft may list the table otherwise than predicted: record how it does, so the next look finds it intact.
    const written = this.digest();
    const after = await this.listTable();
    if (after && after.fingerprint === r.fingerprint && after.canon !== r.canon) {
      this.listedCanon.set(r.fingerprint, after.canon);
      await this.nft(replaceScript(withCanon(r, after.canon)), 'nft replace table');
      this.opts.logger?.debug({ table: `inet ${this.table}`, predicted: r.canon, listed: after.canon }, 'gateway nftables table: listing differs from the text written; recorded as listed');
      // Rewritten after the listing: the next full sync lists it and records its digest then.
    } else if (after && after.fingerprint === r.fingerprint && after.recordedCanon === after.canon) this.recordIntact(r.fingerprint, written);
    return true;
  }

  /**
   * Records `before` (read just before a listing that found the table intact) as the intact table's
   * digest when the table still has it: the listing vouched for exactly that state, no edit slipped in
   * between unseen.
   */
  private recordIntact(fingerprint: string, before: string | null | undefined): void {
    if (typeof before === 'string' && this.digest() === before) this.intact = { fingerprint, digest: before };
  }

  /**
   * The table's digest, read in-process: null when there is no table; undefined when not known
   * (process mode, an addon without it, or a read that failed). A failure is an error in `native`; in
   * `auto` it is said once and the listing decides instead.
   */
  private digest(): string | null | undefined {
    if (!this.checkInProcess || !hasTableDigest(this.native)) return undefined;
    const addon = this.native;
    return this.tableFallback.run('nf_tables table digest', [], () => withNetnsFdSync(this.opts.hostNetns, (fd) => gatewayTableDigest(addon, fd, this.table)));
  }


  private async deleteTable(): Promise<boolean> {
    try {
      await this.nft(deleteScript(this.table), 'nft delete table');
      return true;
    } catch (err) {
      if (NO_SUCH.test((err as Error).message)) return false;
      throw err;
    }
  }

  private async listTable(): Promise<ListedGatewayTable | undefined> {
    this.opts.onSpawn?.('nft');
    try {
      // -s: without counter values, so the listing of an untouched table never changes.
      const res = await run('nft', ['-s', 'list', 'table', 'inet', this.table], this.runOpts());
      return parseGatewayTable(res.stdout);
    } catch (err) {
      if (err instanceof CommandError && NO_SUCH.test(err.message)) return undefined;
      throw new GatewayHostError(this.table, [], 'nft list table', (err as Error).message, { cause: err });
    }
  }

  private async ensureForwarding(): Promise<boolean> {
    if (this.forwardingKnownOn) return false;
    let on = this.viaAddon(`read ${IP_FORWARD_ON.key}`, [], (addon, fd) => {
      const [now] = readSysctls(addon, fd, [IP_FORWARD_ON]);
      if (typeof now !== 'string') throw now ?? new Error(`no text for ${IP_FORWARD_ON.path}`);
      return now === IP_FORWARD_ON.value;
    });
    if (on === undefined) {
      this.opts.onSpawn?.('sysctl');
      on = (await run('sysctl', ['-n', 'net.ipv4.ip_forward'], this.runOpts())).stdout.trim() === '1';
    }
    if (on) {
      this.forwardingKnownOn = true;
      return false;
    }
    const written = this.viaAddon(`write ${IP_FORWARD_ON.key}`, [], (addon, fd) => this.writeInProcess(addon, fd, [{ sysctl: IP_FORWARD_ON }]));
    if (written === undefined) await this.sysctl(['net.ipv4.ip_forward=1'], []);
    this.forwardingKnownOn = true;
    this.opts.logger?.warn({ table: this.table }, 'IPv4 forwarding was off on the host: turned on for the tenant gateways (sealed host ends keep forwarding=0)');
    return true;
  }

  /**
   * The sysctls of these gateway interfaces. In-process: read first, and only those that differ written (a
   * full sync that finds them right writes nothing); a file that cannot be read is written all the same, so
   * its failure is the one the process path would report. Otherwise one `sysctl -w` of all of them.
   */
  private async applySysctls(ifNames: readonly string[]): Promise<void> {
    const done = this.viaAddon('sysctls', ifNames, (addon, fd) => {
      const all = ifNames.flatMap((ifName) => gatewayInterfaceSysctls(ifName).map((sysctl) => ({ sysctl, ifName })));
      const now = readSysctls(addon, fd, all.map((a) => a.sysctl));
      const differ = all.filter(({ sysctl }, i) => {
        const v = now[i]!;
        return typeof v === 'string' ? v !== sysctl.value : !ipv6Missing(sysctl, v);
      });
      if (differ.length === 0) return true;
      this.writeInProcess(addon, fd, differ);
      this.opts.logger?.debug({ table: this.table, sysctls: differ.map((d) => d.sysctl.key) }, 'gateway interface sysctls set');
      return true;
    });
    if (!done) await this.sysctl(ifNames.flatMap((n) => gatewaySysctls(n)), ifNames);
  }

  /** Writes sysctls through the addon; one the kernel refuses is a GatewayHostError naming its interface (a missing ipv6 directory is skipped). */
  private writeInProcess(addon: InterfaceAddon, fd: number, list: readonly { sysctl: InterfaceSysctl; ifName?: string }[]): true {
    const f = writeSysctls(addon, fd, list.map((l) => l.sysctl), ipv6Missing);
    if (!f) return true;
    const owner = list.find((l) => l.sysctl === f.sysctl)?.ifName;
    throw new GatewayHostError(this.table, owner !== undefined ? [owner] : [], `sysctl ${f.sysctl.key}`, f.error.message, { cause: f.error });
  }

  /**
   * Runs an in-process step of the interface side with a descriptor of the host namespace (-1: the agent's
   * own), opened and closed synchronously. A GatewayHostError (a sysctl write the kernel refused, as it would
   * the process's) is thrown as is. Any other failure (the namespace, the socket, the addon) is an error in
   * `native`; in `auto` it is said once and answers undefined, and the caller runs the process instead.
   * Undefined too when this host does not run the interface side in-process.
   */
  private viaAddon<T>(step: string, ifNames: readonly string[], fn: (addon: InterfaceAddon, fd: number) => T): T | undefined {
    if (!this.interfacesInProcess || !hasInterfaceReads(this.native)) return undefined;
    const addon = this.native;
    return this.interfacesFallback.run(step, ifNames, () => withNetnsFdSync(this.opts.hostNetns, (fd) => fn(addon, fd)));
  }


  private async sysctl(assignments: readonly string[], ifNames: readonly string[]): Promise<void> {
    if (assignments.length === 0) return;
    this.opts.onSpawn?.('sysctl');
    const res = await run('sysctl', ['-q', '-w', ...assignments], { ...this.runOpts(), okExitCodes: [1, 255] });
    // A host without IPv6 has no ipv6 directory: not a failure.
    const bad = res.stderr.split('\n').filter((l) => l.trim() !== '' && !(/\.ipv6\./.test(l) && NO_SUCH.test(l)));
    if (res.exitCode !== 0 && bad.length > 0) throw new GatewayHostError(this.table, ifNames, 'sysctl', bad.join('; '));
  }

  private async nft(script: string, step: string): Promise<void> {
    this.opts.onSpawn?.('nft');
    try {
      await run('nft', ['-f', '-'], { ...this.runOpts(), input: script });
    } catch (err) {
      throw new GatewayHostError(this.table, [], step, (err as Error).message, { cause: err });
    }
  }

  private ip(args: string[], input?: string, okExitCodes: readonly number[] = []): ReturnType<typeof run> {
    this.opts.onSpawn?.('ip');
    return run('ip', args, { ...this.runOpts(), ...(input !== undefined ? { input } : {}), okExitCodes });
  }

  private runOpts(): { netns?: string; timeoutMs: number } {
    return { ...(this.opts.hostNetns !== undefined ? { netns: this.opts.hostNetns } : {}), timeoutMs: GATEWAY_TIMEOUT_MS };
  }
}

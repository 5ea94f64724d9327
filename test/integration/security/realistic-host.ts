import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { run } from '../../../src/exec/run.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
export const LISTENER_PY = join(FIXTURES, 'host-listener.py');
export const ATTACK_PY = join(FIXTURES, 'host-attack.py');
/** Debian's python with scapy (the python3 on PATH may be another one). */
export const PYTHON = '/usr/bin/python3';

/**
 * The addresses of a realistic host. Documentation and private ranges only, and only inside
 * namespaces a test made: the uplink is a veth to an "upstream" namespace standing in for the
 * next router.
 */
export const HOST = {
  uplink: 'uplink0',
  upstreamIf: 'wan0',
  ip4: '192.0.2.1',
  gw4: '192.0.2.254',
  ip6: '2001:db8:100::1',
  gw6: '2001:db8:100::fe',
  /** A second host address on an internal bridge (like docker0's). */
  otherIf: 'svc0',
  other4: '172.31.0.1',
  udpPort: 7001,
  tcpPort: 7002,
  /** A DHCP client's port. */
  dhcpPort: 68,
  /** Destinations behind the upstream router (never configured anywhere: only counted). */
  forwardDst4: '198.51.100.10',
  forwardDst6: '2001:db8:200::10',
  /** What a rogue Router Advertisement offers. */
  raPrefix: '2001:db8:bad::',
} as const;

/** Upstream ingress counters: what the host sent out of its uplink. */
export const UPSTREAM_COUNTERS = ['fwd4_tenant', 'fwd4_arbitrary', 'fwd6', 'synack4'] as const;
export type UpstreamCounter = (typeof UPSTREAM_COUNTERS)[number];

/** Counters in the host's own input hook: TCP SYNs its stack took for local delivery. */
export const INPUT_COUNTERS = ['syn_tcp4', 'syn_tcp6_global', 'syn_tcp6_ll'] as const;
export type InputCounter = (typeof INPUT_COUNTERS)[number];

/** The modified-EUI-64 link-local address a link with this MAC has (or would have). */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  if (b.length !== 6 || b.some((x) => !Number.isInteger(x))) throw new TypeError(`not a MAC: ${mac}`);
  const hex = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
  return `fe80::${hex(b[0]! ^ 2, b[1]!)}:${hex(b[2]!, 0xff)}:${hex(0xfe, b[3]!)}:${hex(b[4]!, b[5]!)}`;
}

export interface Counters {
  [name: string]: number;
}

async function nftCounters(ns: string, family: string, table: string): Promise<Counters> {
  const r = await run('nft', ['-j', 'list', 'counters', 'table', family, table], { netns: ns });
  const j = JSON.parse(r.stdout) as { nftables: { counter?: { name: string; packets: number } }[] };
  const out: Counters = {};
  for (const e of j.nftables) if (e.counter) out[e.counter.name] = e.counter.packets;
  return out;
}

/** Everything the host stack learnt or accepted, as seen at its own sockets, tables and its upstream. */
export interface HostEffects {
  /** Datagrams the host's UDP services received, by the attack tag in the payload. */
  readonly udpByAttack: Record<string, number>;
  /** Datagrams the host's DHCP client port (68) received. */
  readonly dhcpClient: number;
  /** Data the host's TCP service received on accepted connections, by tag. */
  readonly tcpDataByAttack: Record<string, number>;
  /** Half-open connections (SYN_RECV) at the host's TCP service, by the local address they hit. */
  readonly synRecv: { readonly tcp4: number; readonly tcp6Global: number; readonly tcp6Ll: number };
  /** SYNs the host's input hook let through to local delivery. */
  readonly synIn: Record<InputCounter, number>;
  /** Neighbour entries with a link-layer address the host learnt on the workload-facing link. */
  readonly neighboursLearnt: number;
  /** Host IPv6 addresses inside the rogue RA's prefix, on any interface. */
  readonly slaacAddrs: number;
  /** IPv6 default routes other than the host's own static one. */
  readonly extraDefaultRoutes6: number;
  /** Routes (any) the kernel installed from Router Advertisements. */
  readonly raRoutes: number;
  /** Packets the upstream router received from the host. */
  readonly upstream: Record<UpstreamCounter, number>;
}

/**
 * A host network namespace that looks like a real one: an uplink with IPv4 and IPv6 addresses
 * and default routes (IPv6 static), a second internal address, forwarding on for both families,
 * loose reverse-path filtering and accept_ra=2 (a router that still takes RAs, as hosts with
 * IPv6 forwarding and SLAAC uplinks are configured), UDP and TCP services bound to all addresses
 * and a DHCP client port, and an upstream namespace that counts what the host sends it.
 *
 * The host's namespace may be one that exists already (the OVS sandbox's host); the builder adds
 * to it and stop() ends only the processes it started.
 */
export class RealisticHost {
  private listener: ResultPromise<{ reject: false; stdin: 'ignore'; buffer: false }> | undefined;

  private constructor(
    readonly hostNs: string,
    readonly upstreamNs: string,
    readonly recordFile: string,
  ) {}

  /** Builds the host in `hostNs` and its upstream in `upstreamNs` (both existing, empty but for lo). */
  static async build(hostNs: string, upstreamNs: string, workDir: string, label: string): Promise<RealisticHost> {
    const h = new RealisticHost(hostNs, upstreamNs, join(workDir, `${label}-received.jsonl`));
    await writeFile(h.recordFile, '');
    // The uplink: a veth whose peer is the upstream router's interface.
    await run('ip', ['link', 'add', HOST.uplink, 'type', 'veth', 'peer', 'name', HOST.upstreamIf, 'netns', upstreamNs], { netns: hostNs });
    await run('sysctl', ['-q', '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv6.conf.all.accept_ra=2',
      'net.ipv6.conf.default.accept_ra=2',
      `net.ipv6.conf.${HOST.uplink}.accept_ra=2`,
    ], { netns: hostNs });
    await run('ip', ['-batch', '-'], {
      netns: hostNs,
      input: [
        'link set dev lo up',
        `link add ${HOST.otherIf} type bridge`,
        `addr add ${HOST.other4}/24 dev ${HOST.otherIf}`,
        `link set dev ${HOST.otherIf} up`,
        `addr add ${HOST.ip4}/24 dev ${HOST.uplink}`,
        `addr add ${HOST.ip6}/64 dev ${HOST.uplink} nodad`,
        `link set dev ${HOST.uplink} up`,
        `route add default via ${HOST.gw4} dev ${HOST.uplink}`,
        `route add ::/0 via ${HOST.gw6} dev ${HOST.uplink}`,
        '',
      ].join('\n'),
    });
    await run('ip', ['-batch', '-'], {
      netns: upstreamNs,
      input: [
        'link set dev lo up',
        `addr add ${HOST.gw4}/24 dev ${HOST.upstreamIf}`,
        `addr add ${HOST.gw6}/64 dev ${HOST.upstreamIf} nodad`,
        `link set dev ${HOST.upstreamIf} up`,
        '',
      ].join('\n'),
    });
    // Measuring instruments, accept-only: the upstream counts at its ingress what the host sent it,
    // the host counts TCP SYNs its stack accepted for local delivery.
    await run('nft', ['-f', '-'], {
      netns: upstreamNs,
      input: `table netdev nsvs_upstream {
  counter fwd4_tenant {}
  counter fwd4_arbitrary {}
  counter fwd6 {}
  counter synack4 {}
  chain in {
    type filter hook ingress device ${HOST.upstreamIf} priority 0; policy accept;
    ip daddr ${HOST.forwardDst4} ip saddr 10.0.0.0/8 counter name fwd4_tenant
    ip daddr ${HOST.forwardDst4} ip saddr != 10.0.0.0/8 counter name fwd4_arbitrary
    ip6 daddr ${HOST.forwardDst6} counter name fwd6
    ip saddr ${HOST.ip4} tcp sport ${HOST.tcpPort} tcp flags & (syn | ack) == (syn | ack) counter name synack4
  }
}
`,
    });
    await run('nft', ['-f', '-'], {
      netns: hostNs,
      input: `table inet nsvs_probe {
  counter syn_tcp4 {}
  counter syn_tcp6_global {}
  counter syn_tcp6_ll {}
  chain input {
    type filter hook input priority -300; policy accept;
    ip daddr ${HOST.ip4} tcp dport ${HOST.tcpPort} tcp flags & (syn | ack) == syn counter name syn_tcp4
    ip6 daddr ${HOST.ip6} tcp dport ${HOST.tcpPort} tcp flags & (syn | ack) == syn counter name syn_tcp6_global
    ip6 daddr fe80::/64 tcp dport ${HOST.tcpPort} tcp flags & (syn | ack) == syn counter name syn_tcp6_ll
  }
}
`,
    });
    return h;
  }

  /** Starts the host's services (one listener process, by pid); resolves once they are bound. */
  async startServices(): Promise<void> {
    const child = execa('nsenter', [`--net=${this.hostNs}`, '--', PYTHON, LISTENER_PY, this.recordFile,
      '--udp', String(HOST.udpPort), '--udp4', String(HOST.dhcpPort), '--tcp', String(HOST.tcpPort)], { reject: false, stdin: 'ignore', buffer: false });
    this.listener = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`host listener not ready: ${err}`)), 10_000);
      child.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void child.then((r) => {
        clearTimeout(timer);
        reject(new Error(`host listener exited (${String(r.exitCode)}): ${err}`));
      });
    });
  }

  /**
   * The instruments' own check: the upstream router sends one tagged datagram to each of the
   * host's uplink addresses ("upstream-probe4", "upstream-probe6"), which its service must record.
   */
  async probeFromUpstream(): Promise<void> {
    const script = [
      'import socket, sys',
      'for fam, addr, tag in ((socket.AF_INET, sys.argv[1], b"nsvs:upstream-probe4:0"), (socket.AF_INET6, sys.argv[2], b"nsvs:upstream-probe6:0")):',
      '    s = socket.socket(fam, socket.SOCK_DGRAM)',
      '    s.sendto(tag, (addr, int(sys.argv[3])))',
      '    s.close()',
    ].join('\n');
    await run(PYTHON, ['-c', script, HOST.ip4, HOST.ip6, String(HOST.udpPort)], { netns: this.upstreamNs });
  }

  /** Ends what startServices started, by its pid. */
  async stop(): Promise<void> {
    const child = this.listener;
    this.listener = undefined;
    if (child?.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // Exited meanwhile.
      }
    }
    await child;
  }

  /** What reached the host, measured at its sockets, tables and upstream; `veth` is the workload-facing host link. */
  async effects(veth: string): Promise<HostEffects> {
    const [records, ss, neigh, addrs, routes, defaults, synIn, upstream] = await Promise.all([
      readFile(this.recordFile, 'utf8'),
      run('ss', ['-Htn', 'state', 'syn-recv', 'sport', '=', `:${HOST.tcpPort}`], { netns: this.hostNs }),
      run('ip', ['-j', 'neigh', 'show', 'dev', veth], { netns: this.hostNs, okExitCodes: [1] }),
      run('ip', ['-j', '-6', 'addr', 'show'], { netns: this.hostNs }),
      run('ip', ['-j', '-6', 'route', 'show', 'table', 'all'], { netns: this.hostNs }),
      run('ip', ['-j', '-6', 'route', 'show', 'default'], { netns: this.hostNs }),
      nftCounters(this.hostNs, 'inet', 'nsvs_probe'),
      nftCounters(this.upstreamNs, 'netdev', 'nsvs_upstream'),
    ]);
    const udpByAttack: Record<string, number> = {};
    const tcpDataByAttack: Record<string, number> = {};
    let dhcpClient = 0;
    for (const line of records.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { kind: string; port: number; data?: string };
      const tag = /^nsvs:([a-z0-9-]+):\d+$/.exec(r.data ?? '')?.[1];
      if (r.kind === 'udp' && r.port === HOST.dhcpPort) dhcpClient++;
      else if (r.kind === 'udp' && tag) udpByAttack[tag] = (udpByAttack[tag] ?? 0) + 1;
      else if (r.kind === 'tcp-data' && tag) tcpDataByAttack[tag] = (tcpDataByAttack[tag] ?? 0) + 1;
    }
    const synRecv = { tcp4: 0, tcp6Global: 0, tcp6Ll: 0 };
    for (const line of ss.stdout.split('\n').filter(Boolean)) {
      const local = line.trim().split(/\s+/)[2] ?? '';
      if (local.includes(`${HOST.ip4}]`) || local.startsWith(`${HOST.ip4}:`)) synRecv.tcp4++;
      else if (local.includes(`[${HOST.ip6}]`)) synRecv.tcp6Global++;
      else if (local.startsWith('[fe80:')) synRecv.tcp6Ll++;
    }
    const neighbours = JSON.parse(neigh.stdout || '[]') as { lladdr?: string }[];
    const addrRows = JSON.parse(addrs.stdout || '[]') as { addr_info?: { local: string }[] }[];
    const prefix = HOST.raPrefix.replace(/::$/, ':');
    const routeRows = JSON.parse(routes.stdout || '[]') as { protocol?: string }[];
    const defaultRows = JSON.parse(defaults.stdout || '[]') as { gateway?: string; dev?: string }[];
    return {
      udpByAttack,
      dhcpClient,
      tcpDataByAttack,
      synRecv,
      synIn: Object.fromEntries(INPUT_COUNTERS.map((c) => [c, synIn[c] ?? 0])) as Record<InputCounter, number>,
      neighboursLearnt: neighbours.filter((n) => n.lladdr !== undefined).length,
      slaacAddrs: addrRows.flatMap((r) => r.addr_info ?? []).filter((a) => a.local.startsWith(prefix)).length,
      extraDefaultRoutes6: defaultRows.filter((r) => !(r.gateway === HOST.gw6 && r.dev === HOST.uplink)).length,
      raRoutes: routeRows.filter((r) => r.protocol === 'ra').length,
      upstream: Object.fromEntries(UPSTREAM_COUNTERS.map((c) => [c, upstream[c] ?? 0])) as Record<UpstreamCounter, number>,
    };
  }
}

export interface AttackParams {
  /** Attacker namespace file and its interface facing the host. */
  readonly ns: string;
  readonly iface: string;
  readonly srcIp4: string;
  /** MAC of the host end of the attacker's veth. */
  readonly hostMac: string;
  /** Another tenant's IPv4 address (a spoofed source). */
  readonly otherTenantIp4: string;
  readonly attacks: readonly string[];
}

export interface AttackResult {
  readonly sent: Record<string, number>;
  readonly arpReplies: Record<string, number>;
  readonly tcpConnected: number;
}

/** Runs the scapy attack script inside the attacker's namespace; every value travels as argv. */
export async function runAttacks(p: AttackParams): Promise<AttackResult> {
  const args = [ATTACK_PY,
    '--iface', p.iface, '--host-mac', p.hostMac, '--src-ip4', p.srcIp4,
    '--host-ip4', HOST.ip4, '--host-ip4-other', HOST.other4, '--host-ip6', HOST.ip6, '--host-ll6', linkLocalOf(p.hostMac),
    '--udp-port', String(HOST.udpPort), '--tcp-port', String(HOST.tcpPort),
    '--spoof-src4', p.otherTenantIp4, '--spoof-src4', '203.0.113.77', '--forward-dst4', HOST.forwardDst4,
    '--spoof-src6', '2001:db8:bad:f00d::1', '--forward-dst6', HOST.forwardDst6,
    '--ra-prefix', HOST.raPrefix, '--count', '3',
    ...p.attacks.flatMap((a) => ['--attack', a]),
  ];
  const r = await run(PYTHON, args, { netns: p.ns, timeoutMs: 30_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as AttackResult;
}

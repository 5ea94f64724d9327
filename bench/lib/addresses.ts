/**
 * Addresses for bench workloads: one /16 so 1000+ namespaces fit one subnet
 * (the .0.0, .0.1 gateway and .255.255 broadcast are never handed out).
 */
export const BENCH_SUBNET = '10.77.0.0/16';
export const BENCH_PREFIX_LEN = 16;
export const BENCH_MAX_HOSTS = 65_536 - 3;

/** The i-th (0-based) workload address in BENCH_SUBNET, starting at 10.77.0.2. */
export function benchIp(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= BENCH_MAX_HOSTS) throw new RangeError(`bench address index ${i} is outside 0..${BENCH_MAX_HOSTS - 1}`);
  const host = i + 2;
  return `10.77.${host >> 8}.${host & 0xff}`;
}

/** A locally administered unicast MAC unique per index (02:6e:73:xx:xx:xx). */
export function benchMac(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i > 0xffffff) throw new RangeError(`bench MAC index ${i} is outside 0..16777215`);
  const b = [0x02, 0x6e, 0x73, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Zero-padded workload names (bench-0001...), safe as file names, container ids and globs. */
export function benchNames(prefix: string, n: number): string[] {
  const width = Math.max(4, String(n).length);
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
}

/** True when `ip` is inside `cidr` (IPv4), for checking addresses another component allocated. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = Number(lenText);
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(net ?? '');
  if (a === undefined || b === undefined || !Number.isInteger(len) || len < 0 || len > 32) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = v * 256 + Number(p);
  }
  return v;
}

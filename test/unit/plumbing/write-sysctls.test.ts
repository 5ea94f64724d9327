import { describe, expect, it } from 'vitest';
import type { NativeAddon, NativeFileError } from '../../../src/native/native.js';
import { interfaceSysctls, writeSysctls, type InterfaceSysctl } from '../../../src/plumbing/sysctl-table.js';

type Writer = Pick<NativeAddon, 'writeNetnsFile' | 'writeNetnsFiles'>;

function fileError(path: string, index: number, code = 'ENOENT'): NativeFileError {
  return Object.assign(new Error(`open ${path}: No such file or directory`), { code, errno: 2, index });
}

/** A fake /proc/sys/net: `missing` paths cannot be opened; what was written, and how many namespace entries it took. */
function fakeAddon(missing: readonly string[], batch: boolean): Writer & { written: string[]; calls: number } {
  const written: string[] = [];
  const fake = {
    written,
    calls: 0,
    writeNetnsFile(_fd: number, path: string, text: string): void {
      fake.calls++;
      if (missing.includes(path)) throw fileError(path, 0);
      written.push(`${path}=${text}`);
    },
    ...(batch ? {
      writeNetnsFiles(_fd: number, paths: readonly string[], texts: readonly string[]): NativeFileError | null {
        fake.calls++;
        if (paths.length > 64) throw new TypeError('at most 64');
        for (const [i, p] of paths.entries()) {
          if (missing.includes(p)) return fileError(p, i);
          written.push(`${p}=${texts[i]}`);
        }
        return null;
      },
    } : {}),
  };
  return fake;
}

const TABLE = [['ipv6/conf/%s/disable_ipv6', '1'], ['ipv6/conf/%s/accept_ra', '0'], ['ipv4/conf/%s/arp_ignore', '8'], ['ipv4/conf/%s/rp_filter', '1']] as const;
const list = interfaceSysctls(TABLE, 'nsv0');
const ipv6Missing = (s: InterfaceSysctl, e: Error): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT' && s.path.includes('/ipv6/');

describe.each([
  { addon: 'with writeNetnsFiles', batch: true },
  { addon: 'built before writeNetnsFiles', batch: false },
])('writeSysctls (addon $addon)', ({ batch }) => {
  it('writes all of them in order', () => {
    const a = fakeAddon([], batch);
    expect(writeSysctls(a, 5, list)).toBeUndefined();
    expect(a.written).toEqual(list.map((s) => `${s.path}=${s.value}`));
    expect(a.calls).toBe(batch ? 1 : list.length);
  });

  it('passes over a failure skip accepts and writes the rest', () => {
    const a = fakeAddon([list[0]!.path, list[1]!.path], batch);
    expect(writeSysctls(a, -1, list, ipv6Missing)).toBeUndefined();
    expect(a.written).toEqual(list.slice(2).map((s) => `${s.path}=${s.value}`));
  });

  it('stops at any other failure and names that sysctl; nothing after it is written', () => {
    const a = fakeAddon([list[2]!.path], batch);
    const f = writeSysctls(a, 5, list, ipv6Missing);
    expect(f?.sysctl).toEqual(list[2]);
    expect(f?.error).toMatchObject({ code: 'ENOENT' });
    expect(a.written).toEqual(list.slice(0, 2).map((s) => `${s.path}=${s.value}`));
  });

  it('writes more than one call takes, in order', () => {
    const many = Array.from({ length: 20 }, (_, i) => interfaceSysctls(TABLE, `nsv${i}`)).flat();
    const a = fakeAddon([], batch);
    expect(writeSysctls(a, 5, many)).toBeUndefined();
    expect(a.written).toEqual(many.map((s) => `${s.path}=${s.value}`));
    expect(a.calls).toBe(batch ? 2 : many.length);
  });
});

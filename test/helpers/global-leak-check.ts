import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** Links of the machine's own network namespace, by name. */
function rootLinks(): Set<string> {
  const out = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  return new Set(out.split('\n').filter(Boolean).map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? ''));
}

/** Pids of processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (cmd.includes(needle)) found.push(`${pid}: ${cmd.trim()}`);
      // OVS and OVN daemons find their sockets by OVS_RUNDIR/OVN_RUNDIR (ovn-controller's control
      // socket cannot be given in argv): one started with a sandbox's env but no path in argv.
      else if (daemonEnvUnder(await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => ''), needle)) found.push(`${pid}: ${cmd.trim()} (by its environment)`);
    } catch {
      // Gone already.
    }
  }
  return found;
}

function daemonEnvUnder(environ: string, dir: string): boolean {
  return environ.split('\0').some((kv) => /^(OVS|OVN)_RUNDIR=/.test(kv) && kv.slice(kv.indexOf('=') + 1).startsWith(dir));
}

async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').filter((l) => (l.split(' ')[1] ?? '').startsWith(dir));
}

/**
 * Gives every test file one root dir for its sandboxes, and fails the run if
 * anything the suite started outlives it: processes, mounts, files, or links
 * in the machine's own network namespace.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'nsvs-test-'));
  process.env.NSVS_TEST_ROOT = root;
  const linksBefore = rootLinks();
  return async () => {
    const problems: string[] = [];
    const procs = await processesMentioning(root);
    if (procs.length) problems.push(`processes left running:\n  ${procs.join('\n  ')}`);
    const mounts = await mountsUnder(root);
    if (mounts.length) problems.push(`mounts left:\n  ${mounts.join('\n  ')}`);
    const files = await readdir(root).catch(() => []);
    if (files.length) problems.push(`sandbox dirs left: ${files.join(', ')}`);
    const added = [...rootLinks()].filter((l) => !linksBefore.has(l));
    if (added.length) problems.push(`links left in the root namespace: ${added.join(', ')}`);
    // Clean up what leaked so the machine stays usable, then fail loudly.
    for (const p of procs) {
      try {
        process.kill(Number(p.split(':')[0]), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', ['-l', m.split(' ')[1] ?? '']);
      } catch {
        // Best effort.
      }
    }
    await rm(root, { recursive: true, force: true });
    if (problems.length) throw new Error(`The test suite leaked:\n${problems.join('\n')}`);
  };
}

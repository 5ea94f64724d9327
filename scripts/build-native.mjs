/* global process, console */
// Builds the optional native addon (native/*.c -> build/native/nsvswitch.node)
// with the C compiler and the Node headers this machine has. Never fails the
// install: without the addon nsvswitch falls back to spawning ip/nsenter/ethtool/sysctl.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native');
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort().map((f) => join(srcDir, f));
const inputs = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).map((f) => join(srcDir, f));
const out = join(root, 'build', 'native', 'nsvswitch.node');

function headerDir() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (existsSync(out) && statSync(out).mtimeMs >= newest && !process.argv.includes('--force')) process.exit(0);
const include = headerDir();
if (!include) {
  console.warn('nsvswitch: Node headers (node_api.h) not found; native addon not built, using the process fallback');
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
try {
  execFileSync(process.env.CC || 'cc', [
    '-O2', '-fPIC', '-shared', '-Wall', '-Wextra', '-Werror', '-std=gnu11',
    '-DNODE_GYP_MODULE_NAME=nsvswitch', '-I', include, '-o', out, ...sources,
  ], { stdio: 'inherit' });
} catch (err) {
  console.warn(`nsvswitch: native addon not built (${err.message}); using the process fallback`);
}

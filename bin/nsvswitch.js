#!/usr/bin/env node
// Runs the compiled CLI when dist/ is at least as new as src/, else the
// TypeScript source through tsx (so an edit is never shadowed by a stale build).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const srcDir = join(root, 'src');
const fresh = existsSync(stamp) && (!existsSync(srcDir) || statSync(stamp).mtimeMs >= newestMtime(srcDir));
if (fresh) {
  await import(pathToFileURL(join(root, 'dist', 'main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(srcDir, 'main.ts')).href);
}

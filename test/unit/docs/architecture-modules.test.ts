import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = join(ROOT, 'docs/architecture.md');

/**
 * The module column of the table under "## Modules": `src/x` names a module; a name ending in "/"
 * right after it (`wire/` after `src/ovsdb`) names a subdirectory of the last `src/` path in the cell.
 */
async function listedModules(): Promise<{ paths: string[]; jobless: string[] }> {
  const text = await readFile(DOC, 'utf8');
  const section = text.slice(text.indexOf('\n## Modules\n'), text.indexOf('\n## ', text.indexOf('\n## Modules\n') + 1));
  const paths: string[] = [];
  const jobless: string[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| (.+?) \| (.*) \|$/.exec(line);
    if (!m || !m[1]!.includes('`src/')) continue;
    let parent = '';
    for (const [, name] of m[1]!.matchAll(/`([^`]+)`/g)) {
      if (name!.startsWith('src/')) paths.push((parent = name!));
      else if (name!.endsWith('/')) paths.push(posix.join(parent, name!.slice(0, -1)));
    }
    if (m[2]!.trim() === '') jobless.push(m[1]!);
  }
  return { paths, jobless };
}

/** Every directory under src/, and the files at its top. */
async function sourceModules(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(join(ROOT, dir), { withFileTypes: true })) {
      const rel = posix.join(dir, e.name);
      if (e.isDirectory()) {
        out.push(rel);
        await walk(rel);
      } else if (dir === 'src' && e.name.endsWith('.ts')) out.push(rel);
    }
  };
  await walk('src');
  return out.sort();
}

describe('docs/architecture.md module table', () => {
  it('lists every src directory and top-level module exactly once, each with its job', async () => {
    const { paths, jobless } = await listedModules();
    const twice = paths.filter((p, i) => paths.indexOf(p) !== i);
    expect(twice, 'listed more than once').toEqual([]);
    expect(jobless, 'rows without a job').toEqual([]);
    const listed = new Set(paths);
    expect((await sourceModules()).filter((p) => !listed.has(p)), 'in src/ but not in the table').toEqual([]);
  });

  it('lists nothing that does not exist', async () => {
    const { paths } = await listedModules();
    expect(paths.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const p of paths) await stat(join(ROOT, p)).catch(() => missing.push(p));
    expect(missing, 'in the table but not in src/').toEqual([]);
  });
});

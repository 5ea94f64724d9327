// `nsvswitch validate DIR|FILE...`: checks manifests with exactly the agent's rules, for CI and editors.
import { suggestion } from '../config/did-you-mean.js';
// Direct imports (not manifests/index.js): validate needs neither rxjs nor the logger of the watcher.
import { loadManifestPaths } from '../manifests/load-dir.js';
import { ManifestPathError } from '../manifests/manifest-path-error.js';
import type { ManifestProblem } from '../manifests/types.js';

const USAGE = `Usage: nsvswitch validate [options] DIR|FILE...

Checks tenant manifests (every *.yaml / *.yml file of each DIR, and each FILE) as one set, with the
rules the agent applies: schema, and conflicts within and across files. Prints every problem as
FILE:LINE: MESSAGE.

Options:
  -q, --quiet     Print problems only, no summary line
  --strict-modes  Also refuse directories and files writable by group or others, or owned by
                  another user than root or you, as the agent does (manifestStrictModes)
  -h, --help      Show this help

Limits (as in the agent): a file over 2 MiB, a directory over 8 MiB of manifests, more than 10000
documents or 100 YAML aliases in a file are refused.

Exit status: 0 no problem, 1 at least one problem, 2 usage error.
`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatProblem(p: ManifestProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

export default async function validate(argv: string[]): Promise<number> {
  const paths: string[] = [];
  let quiet = false;
  let strictModes = false;
  let flagsDone = false;
  for (const arg of argv) {
    if (!flagsDone && (arg === '-h' || arg === '--help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (!flagsDone && (arg === '-q' || arg === '--quiet')) quiet = true;
    else if (!flagsDone && arg === '--strict-modes') strictModes = true;
    else if (!flagsDone && arg === '--') flagsDone = true;
    else if (!flagsDone && arg.startsWith('-') && arg !== '-') {
      process.stderr.write(`nsvswitch validate: unknown option ${arg}${suggestion(arg, ['--help', '--quiet', '--strict-modes'])}\n\n${USAGE}`);
      return 2;
    } else paths.push(arg);
  }
  if (paths.length === 0) {
    process.stderr.write(`nsvswitch validate: give at least one manifest directory or file\n\n${USAGE}`);
    return 2;
  }
  let set;
  try {
    set = await loadManifestPaths(paths, { strictModes });
  } catch (e) {
    if (!(e instanceof ManifestPathError)) throw e;
    process.stdout.write(e.reason === undefined ? `${e.path}: cannot read: ${e.code}\n` : `${e.path}: ${e.reason}\n`);
    return 1;
  }
  const files = set.files ?? [];
  if (files.length === 0) {
    process.stdout.write(`${paths.join(', ')}: no manifest files (*.yaml, *.yml)\n`);
    return 1;
  }
  const problems = [...set.problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
  if (problems.length > 0) {
    const bad = files.filter((f) => f.state === 'rejected').length;
    if (!quiet) process.stdout.write(`${plural(problems.length, 'problem')} in ${bad} of ${plural(files.length, 'file')}\n`);
    return 1;
  }
  if (!quiet) process.stdout.write(`${plural(set.tenants.size, 'tenant')} in ${plural(files.length, 'file')}: OK\n`);
  return 0;
}

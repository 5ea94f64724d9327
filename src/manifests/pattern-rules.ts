// Which namespace patterns a manifest may hold. Pure. Two dangers besides typos: a pattern that matches
// every namespace (dropped into the directory, it puts every working namespace in conflict), and a
// pattern whose regular expression backtracks exponentially (picomatch compiles globs to JS regexes,
// which backtrack: `+(a|aa)b` or `*a*a*a*b` against a 255-character name takes seconds to hours, on
// every reconcile pass).
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from './match-namespace.js';

/** Longest pattern on a name: a namespace name is a file name, at most 255 bytes. */
export const MAX_NAME_PATTERN = 255;
/** Longest pattern on a full path (PATH_MAX). */
export const MAX_PATH_PATTERN = 4096;
/** Variable-width parts per pattern: runs of `*` (`**` included), `{…}` groups and extglob groups. */
export const MAX_VARIABLE_PARTS = 2;
/** Alternatives in one `{…}` or extglob group. */
export const MAX_ALTERNATIVES = 32;

const GROUP_SPECIALS = /[*?[\]{}()!+@\\]/;
const SPECIAL_START = /^[*?[\]{}()!+@\\]/;

/**
 * One probe name per shape a namespace name can take (every character class, leading dots, the longest
 * name, non-ASCII, glob metacharacters as text). A pattern on names that matches all of them matches
 * "everything" in every sense an operator could mean; a real selection has a literal part and fails
 * most of the one-character probes.
 */
export const PROBE_NAMES: readonly string[] = Object.freeze([
  'a', 'z', 'A', 'Z', '0', '9', '-', '_', '~', '%', '+', '@', '!', '#', '$', '(', '[', '{', '*', '?', '\\', "'", ' ',
  '.a', '..a', 'a.b', 'a-b', 'a_b', 'a b', 'é', '漢字', 'ns-1', 'blue-web', 'cni-0f3c9a2e-4b1d-7e21-a1b2-c3d4e5f6a7b8',
  'x'.repeat(255),
]);
/** Directories probed for patterns on full paths: the default namespace dirs, and shapes that are not. */
export const PROBE_DIRS: readonly string[] = Object.freeze(['/run/netns', '/run/docker/netns', '/var/run/netns', '/var/run/docker/netns', '/n', '/a/b/c/d/e']);

/** Share of the probe names a pattern may match before it counts as matching everything. */
export const CATCH_ALL_SHARE = 0.75;

function nearlyAll(matches: (s: string) => boolean, prefix: string): boolean {
  let n = 0;
  for (const name of PROBE_NAMES) if (matches(prefix + name)) n++;
  return n >= CATCH_ALL_SHARE * PROBE_NAMES.length;
}

/**
 * Why `pattern` matches every namespace, or undefined. A pattern on names: it matches at least three
 * quarters of the probe names (so "*", "?*", "!(x)", "!blue-*" and "[!0-9]*" all count). A pattern on
 * full paths: it does so in at least two probe directories ("/**", "/run/**"; "/run/docker/netns/*"
 * selects one directory on purpose and is fine).
 */
export function catchAllReason(pattern: string, matches: (s: string) => boolean): string | undefined {
  if (!pattern.includes('/')) return nearlyAll(matches, '') ? 'matches every namespace name' : undefined;
  const dirs = PROBE_DIRS.filter((d) => nearlyAll(matches, `${d}/`));
  return dirs.length >= 2 ? `matches every namespace in several directories (${dirs.join(', ')})` : undefined;
}

/** Why the structure of `pattern` is refused (too long, too many or nested variable parts), or undefined. */
export function structureFault(pattern: string): string | undefined {
  const max = pattern.includes('/') ? MAX_PATH_PATTERN : MAX_NAME_PATTERN;
  if (pattern.length > max) return `is longer than ${max} characters`;
  let variable = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end > 0) i = end; // a character class is one character wide: no backtracking of its own
      continue;
    }
    const extglob = (c === '*' || c === '+' || c === '?' || c === '@' || c === '!') && pattern[i + 1] === '(';
    if (extglob && (c === '*' || c === '+')) return `uses the repetition ${c}(…), which can make matching take exponential time; list the names or use "*"`;
    if (extglob || c === '(' || c === '{') {
      const open = extglob ? i + 1 : i;
      const close = pattern.indexOf(c === '{' ? '}' : ')', open + 1);
      if (close < 0) continue; // unbalanced: picomatch reads it as text
      const body = pattern.slice(open + 1, close);
      if (GROUP_SPECIALS.test(body)) return `has a wildcard or group inside a group ("${pattern.slice(i, close + 1)}"); groups may only list plain alternatives`;
      if (body.split(c === '{' ? ',' : '|').length > MAX_ALTERNATIVES) return `has more than ${MAX_ALTERNATIVES} alternatives in one group`;
      variable++;
      i = close;
      continue;
    }
    if (c === '*') {
      while (pattern[i + 1] === '*') i++;
      // "**(…)": picomatch reads the last star and the group as the repetition *(…).
      if (pattern[i + 1] === '(') return `uses the repetition *(…), which can make matching take exponential time; list the names or use "*"`;
      variable++;
    }
  }
  if (variable > MAX_VARIABLE_PARTS) {
    return `has ${variable} variable-width parts (runs of "*", {…} and (…) groups); at most ${MAX_VARIABLE_PARTS} are allowed, so matching stays fast`;
  }
  return undefined;
}

/** Why a syntactically acceptable pattern is refused, or undefined if the manifest may hold it. */
export function patternFault(pattern: string): string | undefined {
  const structure = structureFault(pattern);
  if (structure !== undefined) return structure;
  // A name (or last path segment) that starts with a literal character matches only the few probe names
  // that start with it: not a catch-all, and no need to compile it here.
  const lastSegment = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (!/[{}()]/.test(pattern) && lastSegment !== '' && !SPECIAL_START.test(lastSegment)) return undefined;
  let matches: (s: string) => boolean;
  try {
    matches = picomatch(pattern, GLOB_OPTIONS);
  } catch (e) {
    return `is not a valid glob: ${e instanceof Error ? e.message : String(e)}`;
  }
  const all = catchAllReason(pattern, matches);
  if (all !== undefined) {
    return `${all}: dropped into the manifest directory it would take every workload from its tenant (each a conflict); name a prefix such as "blue-*", or a directory such as "/run/docker/netns/*"`;
  }
  return undefined;
}

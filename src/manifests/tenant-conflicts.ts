// Rules between tenants (names, ids, subnets, identical namespace patterns): the same checks run within
// one file and across files, and always report on the candidate's side naming the other's file:line.
import { cidrsOverlap, parseCidr } from '../ipam/ipv4.js';
import type { ManifestProblem } from './types.js';
import type { ParsedTenant } from './parsed-tenant.js';

/** Problems that `candidate` (in `file`) has with an already-accepted tenant `other` (in `otherFile`). */
export function conflictsWith(file: string, candidate: ParsedTenant, otherFile: string, other: ParsedTenant): ManifestProblem[] {
  const c = candidate.tenant;
  const o = other.tenant;
  const out: ManifestProblem[] = [];
  const at = (line: number): string => `${otherFile}:${line}`;
  const problem = (line: number, message: string): void => {
    out.push({ file, line, message, tenant: c.name });
  };
  if (c.name === o.name) problem(candidate.lines.name, `tenant "${c.name}" is already defined at ${at(other.lines.name)}`);
  if (c.id === o.id) problem(candidate.lines.id, `spec.id ${c.id} of tenant "${c.name}" is already used by tenant "${o.name}" (${at(other.lines.id)})`);
  const cs = parseCidr(c.subnet);
  const os = parseCidr(o.subnet);
  if (cs && os && cidrsOverlap(cs, os)) {
    problem(candidate.lines.subnet, `spec.subnet ${c.subnet} of tenant "${c.name}" overlaps subnet ${o.subnet} of tenant "${o.name}" (${at(other.lines.subnet)})`);
  }
  c.namespaces.forEach((pattern, i) => {
    const j = o.namespaces.indexOf(pattern);
    if (j < 0) return;
    problem(
      candidate.lines.namespaces[i] ?? candidate.lines.doc,
      `namespace pattern "${pattern}" of tenant "${c.name}" is also a pattern of tenant "${o.name}" (${at(other.lines.namespaces[j] ?? other.lines.doc)}): a namespace matching it would belong to both`,
    );
  });
  return out;
}

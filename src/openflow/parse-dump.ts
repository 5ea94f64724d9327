import type { Flow } from './flow.js';
import { splitTopLevel } from './canonical-match.js';
import { FlowParseError } from './errors/flow-parse-error.js';

// Per-flow fields dump-flows prints that are statistics or state, not identity.
const STAT_FIELDS = new Set(['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age', 'packet_count', 'byte_count', 'reset_counts', 'importance']);

/** Reads one flow line of `ovs-ofctl dump-flows` (with or without stats). */
export function parseFlowLine(line: string): Flow {
  const text = line.trim();
  const at = text.indexOf(' actions=');
  if (at < 0) throw new FlowParseError(line, 'no actions');
  const head = text.slice(0, at);
  const actions = text.slice(at + ' actions='.length).trim();
  let table = 0;
  let priority = 32768;
  let cookie = 0n;
  const match: string[] = [];
  for (const token of splitTopLevel(head)) {
    const eq = token.indexOf('=');
    const name = eq < 0 ? token : token.slice(0, eq);
    const value = eq < 0 ? '' : token.slice(eq + 1);
    if (name === 'cookie') cookie = BigInt(value);
    else if (name === 'table') table = parseIntStrict(value, line, 'table');
    else if (name === 'priority') priority = parseIntStrict(value, line, 'priority');
    else if (!STAT_FIELDS.has(name)) match.push(token);
  }
  return { table, priority, match: match.join(','), actions, cookie };
}

function parseIntStrict(v: string, line: string, what: string): number {
  if (!/^\d+$/.test(v)) throw new FlowParseError(line, `bad ${what} '${v}'`);
  return Number(v);
}

/** Reads every flow of a dump; header and blank lines are skipped. */
export function parseDumpFlows(output: string): Flow[] {
  const flows: Flow[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes(' actions=')) continue;
    flows.push(parseFlowLine(line));
  }
  return flows;
}

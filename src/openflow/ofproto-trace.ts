// `ovs-appctl ofproto/trace` output, read into steps: what OVS says it did with a packet, whoever owns the flows.

/** One flow that matched, in the order ofproto/trace visited them. */
export interface TraceStep {
  readonly table: number;
  readonly match: string;
  readonly priority: number;
  readonly cookie: bigint | undefined;
  /** Lines OVS printed under the flow (actions and `>>` remarks). */
  readonly lines: readonly string[];
}

export interface ParsedTrace {
  readonly steps: readonly TraceStep[];
  /** `Datapath actions:` of the trace; "drop" when nothing leaves the switch. */
  readonly datapathActions: string;
}

const STEP = /^\s*(\d+)\.\s(.*?)(?:,\s)?priority (\d+)(?:, cookie (0x[0-9a-f]+))?\s*$/;
const NO_MATCH = /^\s*(\d+)\.\s+No match\.?\s*$/;

/** Reads the steps and datapath actions of `ovs-appctl ofproto/trace` output. */
export function parseTrace(output: string): ParsedTrace {
  const steps: { table: number; match: string; priority: number; cookie: bigint | undefined; lines: string[] }[] = [];
  let datapathActions = '';
  let inBridge = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('bridge(')) inBridge = true;
    else if (line.startsWith('Final flow:') || line.startsWith('Megaflow:')) inBridge = false;
    else if (line.startsWith('Datapath actions:')) datapathActions = line.slice('Datapath actions:'.length).trim();
    if (!inBridge) continue;
    const m = STEP.exec(line);
    const miss = NO_MATCH.exec(line);
    if (m) steps.push({ table: Number(m[1]), match: (m[2] ?? '').replace(/,\s*$/, ''), priority: Number(m[3]), cookie: m[4] ? BigInt(m[4]) : undefined, lines: [] });
    else if (miss) steps.push({ table: Number(miss[1]), match: '', priority: -1, cookie: undefined, lines: [] });
    else if (/^\s+\S/.test(line) && !/^-+$/.test(line.trim())) steps.at(-1)?.lines.push(line.trim());
  }
  return { steps, datapathActions };
}

/** OpenFlow ports the trace output to (in_port skipped by OVS excluded). */
export function tracedOutputs(trace: ParsedTrace): number[] {
  const outs: number[] = [];
  for (const step of trace.steps) {
    for (let i = 0; i < step.lines.length; i++) {
      const m = /^output:(\d+)$/.exec(step.lines[i] ?? '');
      if (m && !(step.lines[i + 1] ?? '').startsWith('>> skipping output to input port')) outs.push(Number(m[1]));
    }
  }
  return outs;
}

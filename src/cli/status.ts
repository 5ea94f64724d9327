import { FlagError } from '../config/flag-error.js';
import { isStatusReport, type StatusReport } from '../observe/status-types.js';
import { DEFAULT_HTTP_LISTEN } from '../observe/http-server.js';
import { formatStatus } from './status-table.js';

/** Exit codes of `nsvswitch status` (documented in --help). */
export const STATUS_EXIT = { ready: 0, notReady: 1, usage: 2, unreachable: 3 } as const;
export const DEFAULT_STATUS_ENDPOINT = `http://${DEFAULT_HTTP_LISTEN}`;
/** How long to wait for the agent's answer, ms. */
export const DEFAULT_STATUS_TIMEOUT_MS = 5_000;

const USAGE = `Usage: nsvswitch status [--json] [--endpoint URL] [--timeout SECONDS]

Shows tenants, namespaces, ports and errors of a running agent (GET URL/status).

Options:
  --json             print the agent's JSON document instead of tables
  --endpoint URL     the agent's HTTP endpoint (default ${DEFAULT_STATUS_ENDPOINT})
  --timeout SECONDS  give up after this long (default ${DEFAULT_STATUS_TIMEOUT_MS / 1000})
  -h, --help         this text

Exit status:
  0  the agent answered and is ready (initial sync done)
  1  the agent answered but is not ready yet (the report is printed anyway)
  2  usage error
  3  no agent answered at the endpoint (unreachable, timeout, or not an nsvswitch /status)
`;

interface StatusFlags {
  readonly json: boolean;
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly help: boolean;
}

/** Parses the flags of `nsvswitch status` (both "--flag value" and "--flag=value"). */
export function parseStatusFlags(argv: readonly string[]): StatusFlags {
  let json = false;
  let help = false;
  let endpoint = DEFAULT_STATUS_ENDPOINT;
  let timeoutMs = DEFAULT_STATUS_TIMEOUT_MS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new FlagError(name, 'needs a value');
      return v;
    };
    switch (name) {
      case '--json': json = true; break;
      case '-h': case '--help': help = true; break;
      case '--endpoint': endpoint = value(); break;
      case '--timeout': {
        const raw = value();
        const s = Number(raw);
        if (!Number.isFinite(s) || s <= 0) throw new FlagError(name, `expected seconds > 0, got ${JSON.stringify(raw)}`);
        timeoutMs = Math.round(s * 1000);
        break;
      }
      default: throw new FlagError(name, 'unknown flag (known: --json, --endpoint, --timeout, --help)');
    }
  }
  return { json, help, endpoint, timeoutMs };
}

/** The /status URL of an endpoint given as base ("http://h:p") or full ("http://h:p/status"). */
export function statusUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`);
  } catch {
    throw new FlagError('--endpoint', `not a URL: ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FlagError('--endpoint', `expected http:// or https://, got ${url.protocol}`);
  if (!url.pathname.endsWith('/status')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/status`;
  return url;
}

async function fetchStatus(url: URL, timeoutMs: number): Promise<StatusReport> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const body = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('the answer is not JSON');
  }
  if (!isStatusReport(parsed)) throw new Error('the answer is not an nsvswitch status document');
  return parsed;
}

/** `nsvswitch status`: asks a running agent for /status and prints it for people (or as JSON). */
export default async function status(argv: string[]): Promise<number> {
  let flags: StatusFlags;
  let url: URL;
  try {
    flags = parseStatusFlags(argv);
    url = statusUrl(flags.endpoint);
  } catch (err) {
    process.stderr.write(`nsvswitch status: ${(err as Error).message}\n\n${USAGE}`);
    return STATUS_EXIT.usage;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let report: StatusReport;
  try {
    report = await fetchStatus(url, flags.timeoutMs);
  } catch (err) {
    const e = err as Error;
    const why = e.name === 'TimeoutError' ? `no answer within ${flags.timeoutMs / 1000} s` : e.cause instanceof Error ? e.cause.message : e.message;
    process.stderr.write(`nsvswitch status: no agent at ${url.href}: ${why}\n`);
    return STATUS_EXIT.unreachable;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return report.ready ? STATUS_EXIT.ready : STATUS_EXIT.notReady;
}

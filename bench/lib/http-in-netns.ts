import { run } from '../../src/exec/run.js';

/** A fetch run by a short-lived node inside `netns`: prints the status line, then the body. */
const FETCH = `fetch(process.argv[1], { signal: AbortSignal.timeout(Number(process.argv[2])) })
  .then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))
  .catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;

export interface HttpReply {
  readonly status: number;
  readonly body: string;
}

/**
 * GET a URL that listens inside another network namespace (an agent bound
 * to 127.0.0.1 in the sandbox's host namespace is unreachable from ours).
 * Resolves undefined when nothing answers.
 */
export async function httpGetInNetns(netns: string, url: string, timeoutMs = 5000): Promise<HttpReply | undefined> {
  const r = await run(process.execPath, ['-e', FETCH, url, String(timeoutMs)], { netns, timeoutMs: timeoutMs + 5000, okExitCodes: [1] });
  if (r.exitCode !== 0) return undefined;
  const nl = r.stdout.indexOf('\n');
  return { status: Number(r.stdout.slice(0, nl)), body: r.stdout.slice(nl + 1) };
}

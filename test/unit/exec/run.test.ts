import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_BYTES, commandArgv, run } from '../../../src/exec/run.js';
import { CommandError } from '../../../src/errors/command-error.js';

describe('run (child_process, argv only)', () => {
  it('feeds stdin and returns stdout, stderr and the exit code', async () => {
    const r = await run('sh', ['-c', 'cat; echo err >&2', 'sh'], { input: 'hello; $(rm -rf /)\n' });
    expect(r).toEqual({ stdout: 'hello; $(rm -rf /)\n', stderr: 'err\n', exitCode: 0 });
  });

  it('passes arguments as data, never through a shell', async () => {
    const r = await run('printf', ['%s|', 'a b', '$(id)', ';true']);
    expect(r.stdout).toBe('a b|$(id)|;true|');
  });

  it('adds env to the inherited environment', async () => {
    const r = await run('sh', ['-c', 'echo "$NSVS_RUN_TEST:$PATH"'], { env: { NSVS_RUN_TEST: 'x' } });
    expect(r.stdout).toBe(`x:${process.env.PATH}\n`);
  });

  it('fails a non-zero exit with the argv and the stderr tail, unless the code is allowed', async () => {
    const err = await run('sh', ['-c', 'echo one >&2; echo two >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).exitCode).toBe(3);
    expect((err as CommandError).message).toContain('exit 3');
    expect((err as CommandError).message).toContain('one | two');
    expect((err as CommandError).argv).toEqual(['sh', '-c', 'echo one >&2; echo two >&2; exit 3']);
    await expect(run('sh', ['-c', 'exit 1'], { okExitCodes: [1] })).resolves.toMatchObject({ exitCode: 1 });
  });

  it('fails a program that does not exist with a CommandError (no exit code)', async () => {
    const err = await run('/nonexistent/nsvs-no-such-program', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).exitCode).toBeUndefined();
    expect((err as CommandError).message).toContain('ENOENT');
  });

  it('kills a child that outlives its timeout', async () => {
    const t0 = performance.now();
    const err = await run('sleep', ['30'], { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toContain('timed out after 100 ms');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('kills a child whose output exceeds the bound instead of holding it', async () => {
    const err = await run('head', ['-c', String(MAX_OUTPUT_BYTES + 1024 * 1024), '/dev/zero']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toContain(`output over ${MAX_OUTPUT_BYTES} bytes`);
  });

  it('runs inside a namespace through nsenter', () => {
    expect(commandArgv('ip', ['link'], '/run/netns/x y')).toEqual(['nsenter', '--net=/run/netns/x y', '--', 'ip', 'link']);
    expect(commandArgv('ip', ['link'])).toEqual(['ip', 'link']);
  });
});

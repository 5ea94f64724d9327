#!/usr/bin/env node
// Composition root of the command line: one file per command under cli/.
import { commands, printUsage } from './cli/commands.js';
import { version } from './version.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    printUsage(process.stdout);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`nsvswitch ${version}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`nsvswitch: unknown command '${name}'\n\n`);
    printUsage(process.stderr);
    return 2;
  }
  const mod = await cmd.load();
  return mod.default(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nsvswitch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

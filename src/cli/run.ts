// PLACEHOLDER: replaced by the issue that builds the 'run' command.
export default async function run(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch run: not built yet\n');
  return 70;
}

// PLACEHOLDER: replaced by the issue that builds the 'trace' command.
export default async function trace(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch trace: not built yet\n');
  return 70;
}

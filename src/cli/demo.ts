// PLACEHOLDER: replaced by the issue that builds the 'demo' command.
export default async function demo(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch demo: not built yet\n');
  return 70;
}

// PLACEHOLDER: replaced by the issue that builds the 'validate' command.
export default async function validate(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch validate: not built yet\n');
  return 70;
}

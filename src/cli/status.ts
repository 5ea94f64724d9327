// PLACEHOLDER: replaced by the issue that builds the 'status' command.
export default async function status(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch status: not built yet\n');
  return 70;
}

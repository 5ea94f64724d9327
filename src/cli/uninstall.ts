// PLACEHOLDER: replaced by the issue that builds the 'uninstall' command.
export default async function uninstall(_argv: string[]): Promise<number> {
  process.stderr.write('nsvswitch uninstall: not built yet\n');
  return 70;
}

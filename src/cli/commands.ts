/** A command's module: its default export runs it and resolves to the exit code. */
export interface CommandModule {
  default(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

// Loaded lazily so `nsvswitch validate` never pays for the agent's imports.
export const commands: readonly CommandEntry[] = [
  { name: 'run', summary: 'Run the agent (watch namespaces, plug them into OVS, isolate tenants).', load: () => import('./run.js') },
  { name: 'demo', summary: 'Start a private userspace OVS with example tenants and namespaces, and run the agent on it.', load: () => import('./demo.js') },
  { name: 'validate', summary: 'Check tenant manifests (a file or a directory); exit 1 on any problem.', load: () => import('./validate.js') },
  { name: 'trace', summary: 'Explain what the switch does with a packet between two namespaces.', load: () => import('./trace.js') },
  { name: 'status', summary: 'Show tenants, namespaces and ports of a running agent.', load: () => import('./status.js') },
  { name: 'uninstall', summary: 'Remove every port, flow and bridge that nsvswitch owns, and nothing else.', load: () => import('./uninstall.js') },
  { name: 'ovn-forget-chassis', summary: 'Backend ovn: delete the logical ports nsvswitch made for a host gone for good.', load: () => import('./ovn-forget-chassis.js') },
];

export function printUsage(out: NodeJS.WritableStream): void {
  const width = Math.max(...commands.map((c) => c.name.length));
  out.write('Usage: nsvswitch <command> [options]\n\nCommands:\n');
  for (const c of commands) out.write(`  ${c.name.padEnd(width)}  ${c.summary}\n`);
  out.write('\nRun `nsvswitch <command> --help` for the options of one command.\n');
}

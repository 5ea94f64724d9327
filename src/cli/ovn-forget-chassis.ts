import { configFromArgs } from './agent-config-args.js';
import { OVN_SYSTEM_ID } from '../config/keys.js';
import { chassisPorts, chassisRegistered } from '../agent/ovn/forget-chassis.js';

const USAGE = `Usage: nsvswitch ovn-forget-chassis SYSTEM_ID [--force] [--dry-run] [--config FILE] [flags]

Backend ovn: deletes the logical switch ports nsvswitch made for the workloads
of chassis SYSTEM_ID, a host that is gone for good (its agent can no longer
remove them; a live host's agent removes its own). Only ports with
nsvswitch's owner marker and that chassis are touched; tenant switches stay.
Needs the northbound remotes (--ovn-nb-remotes, or the agent's --config) and,
unless --force, the southbound ones (--ovn-sb-remotes): it refuses while the
southbound database still has a Chassis row of that name (the host may be
alive; if it is not, delete the chassis first with ovn-sbctl chassis-del
SYSTEM_ID, or pass --force).

Options:
  --force     delete even though the chassis is still registered
  --dry-run   only list the ports it would delete

Exit codes: 0 done (or nothing to delete), 1 failure or refused, 2 bad flags.
`;

export default async function ovnForgetChassis(argv: string[]): Promise<number> {
  const args = await configFromArgs('ovn-forget-chassis', USAGE, argv, { allowUnknown: true, checkTogether: false });
  if ('exit' in args) return args.exit;
  const force = args.rest.includes('--force');
  const dryRun = args.rest.includes('--dry-run');
  const positional = args.rest.filter((a) => a !== '--force' && a !== '--dry-run');
  const bad = positional.find((a) => a.startsWith('-'));
  if (bad !== undefined || positional.length !== 1) {
    process.stderr.write(`nsvswitch ovn-forget-chassis: ${bad !== undefined ? `unknown flag '${bad}'` : `expected one SYSTEM_ID, got ${positional.length}`}\n\n${USAGE}`);
    return 2;
  }
  const systemId = positional[0]!;
  if (!OVN_SYSTEM_ID.test(systemId)) {
    process.stderr.write(`nsvswitch ovn-forget-chassis: ${JSON.stringify(systemId)} is not a chassis name (1 to 64 of A-Z a-z 0-9 . _ -)\n`);
    return 2;
  }
  const { config } = args;
  if (config.ovnNbRemotes === undefined) {
    process.stderr.write('nsvswitch ovn-forget-chassis: needs the northbound database (--ovn-nb-remotes, or --config with ovnNbRemotes)\n');
    return 2;
  }
  if (!force) {
    if (config.ovnSbRemotes === undefined) {
      process.stderr.write('nsvswitch ovn-forget-chassis: needs the southbound database to check the chassis is gone (--ovn-sb-remotes), or --force\n');
      return 2;
    }
    if (await chassisRegistered(config.ovnSbRemotes, systemId)) {
      process.stderr.write(`nsvswitch ovn-forget-chassis: chassis ${systemId} is still registered in the southbound database (${config.ovnSbRemotes}): refusing; the host may be alive (pass --force if it is not)\n`);
      return 1;
    }
  }
  const ports = await chassisPorts(config.ovnNbRemotes, systemId, { delete: !dryRun });
  for (const p of ports) process.stdout.write(`${dryRun ? 'would delete' : 'deleted'} logical port ${p}\n`);
  process.stdout.write(`${dryRun ? 'would delete' : 'deleted'} ${ports.length} logical port(s) of chassis ${systemId}\n`);
  return 0;
}

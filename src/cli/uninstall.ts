import { createInterface } from 'node:readline/promises';
import { configFromArgs } from './agent-config-args.js';
import { OvsdbClient, VswitchReplica } from '../ovsdb/index.js';
import { OvsPorts } from '../agent/ovs-ports.js';
import { ownedPorts } from '../core/owned-ports.js';
import { OWNER_KEY, OWNER_VALUE } from '../core/ownership.js';
import { HOST_IF_PREFIX } from '../core/names.js';
import { FlowSync, OfctlDriver } from '../openflow/index.js';
import { IpPlumbing, NftGatewayHost, gatewayTableName, guardTableName } from '../plumbing/index.js';
import { ownedGateways, subnetOfAddress } from '../core/gateway/owned-gateways.js';
import { hostGuardFor } from '../agent/host-guard.js';
import { OWNER_COOKIE } from '../core/pipeline/cookie.js';
import { resolveSystemId } from '../agent/ovn/host-setup.js';
import { chassisPorts } from '../agent/ovn/forget-chassis.js';

const USAGE = `Usage: nsvswitch uninstall [--yes] [--config FILE] [flags]

Removes what nsvswitch owns, and nothing else: its ports (and their veths),
its flows (by cookie), and its bridge if nsvswitch created it and no foreign
port is left on it. Stop the agent first, or it will plug everything again.
Asks for confirmation unless --yes is given.

With backend ovn it also deletes this host's logical switch ports from the
northbound database (only its own: owner marker and this chassis), sends no
OpenFlow change (the integration bridge's flows are ovn-controller's) and
leaves the integration bridge and the Open_vSwitch OVN settings in place.

Exit codes: 0 done (or nothing to do), 1 failure, 2 bad flags, 3 not confirmed.
`;

export default async function uninstall(argv: string[]): Promise<number> {
  const args = await configFromArgs('uninstall', USAGE, argv, { allowUnknown: true });
  if ('exit' in args) return args.exit;
  const yes = args.rest.includes('--yes') || args.rest.includes('-y');
  const unknown = args.rest.filter((a) => a !== '--yes' && a !== '-y');
  if (unknown.length > 0) {
    process.stderr.write(`nsvswitch uninstall: unexpected argument '${unknown[0]}'\n`);
    return 2;
  }
  const { config } = args;
  const client = await OvsdbClient.connect(config.ovsdb, { connectTimeoutMs: 5000 });
  try {
    const replica = await VswitchReplica.start(client);
    try {
      const snap = replica.snapshot();
      const bridge = [...snap.bridges.values()].find((b) => b.name === config.bridge);
      if (!bridge) {
        process.stdout.write(`bridge ${config.bridge} not found at ${config.ovsdb}: nothing to remove\n`);
        return 0;
      }
      const { owned, broken } = ownedPorts(snap, config.bridge);
      const gateways = ownedGateways(snap, config.bridge);
      const ours = [...owned.map((o) => ({ portUuid: o.portUuid, name: o.name })), ...broken, ...gateways.map((g) => ({ portUuid: g.portUuid, name: g.name }))];
      const foreign = bridge.ports.filter((p) => {
        const row = snap.ports.get(p);
        return row && row.name !== config.bridge && row.external_ids[OWNER_KEY] !== OWNER_VALUE;
      });
      const ovn = config.backend === 'ovn';
      const ownBridge = bridge.external_ids[OWNER_KEY] === OWNER_VALUE;
      // ovn: the integration bridge is ovn-controller's to use (tunnels, patch ports): it stays.
      const dropBridge = ownBridge && foreign.length === 0 && !ovn;
      const systemId = ovn ? resolveSystemId(config, snap) : undefined;
      process.stdout.write(`nsvswitch uninstall on ${config.ovsdb}, bridge ${config.bridge}:\n  ${ours.length} port(s) and their veths (${gateways.length} of them tenant gateways)\n  the nftables table netdev ${guardTableName(config.bridge)} (host seal)\n  the nftables table inet ${gatewayTableName(config.bridge)} (tenant gateways) and their conntrack entries\n  ${ovn ? `this host's logical switch ports in the OVN northbound database (chassis ${systemId ?? '?'}); no flow (ovn-controller's)` : "every flow with nsvswitch's cookie"}\n  ${dropBridge ? `the bridge ${config.bridge} (created by nsvswitch)` : `not the bridge (${ownBridge ? `${foreign.length} foreign port(s) on it` : 'not created by nsvswitch'})`}\n`);
      if (!yes) {
        if (!process.stdin.isTTY) {
          process.stderr.write('nsvswitch uninstall: not confirmed (no terminal); pass --yes\n');
          return 3;
        }
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question('Remove all of this? Type "yes": ');
        rl.close();
        if (answer.trim() !== 'yes') return 3;
      }
      const env = { OVS_RUNDIR: config.ovsRundir };
      const hostNetns = config.hostNetns ? { hostNetns: config.hostNetns } : {};
      if (!dropBridge && !ovn) await new FlowSync(new OfctlDriver({ ovsRundir: config.ovsRundir, cookie: OWNER_COOKIE, env, ...hostNetns })).sync(config.bridge, []);
      const ovs = new OvsPorts(client, replica);
      if (dropBridge) await ovs.removeBridge(bridge._uuid, 'nsvswitch uninstall');
      else await ovs.removePorts(bridge._uuid, ours, { waitApplied: true, comment: 'nsvswitch uninstall' });
      const plumbing = new IpPlumbing(hostNetns);
      const links = await plumbing.listHostLinks(HOST_IF_PREFIX);
      const ourNames = new Set(ours.map((p) => p.name));
      await plumbing.unplug([...links.keys()].filter((n) => ourNames.has(n)));
      // The host seal of the ports just removed: the whole nftables table is ours.
      await hostGuardFor(config).removeAll();
      // The gateways' interfaces went with their OVS ports; their filter and NAT table, and their NAT bindings, now.
      const gwHost = new NftGatewayHost({ bridge: config.bridge, ...hostNetns });
      await gwHost.removeAll();
      await gwHost.forget(gateways.map((g) => subnetOfAddress(g.cidr)).filter((s): s is string => s !== undefined));
      // ovn: the local ports went first (a logical port without its interface is only unbound), then their logical ports.
      const lsps = ovn && config.ovnNbRemotes !== undefined && systemId !== undefined ? await chassisPorts(config.ovnNbRemotes, systemId, { delete: true }) : [];
      process.stdout.write(`removed ${ours.length} port(s)${dropBridge ? ` and bridge ${config.bridge}` : ''}${ovn ? ` and ${lsps.length} logical port(s) of chassis ${systemId ?? '?'}` : ''}\n`);
      return 0;
    } finally {
      await replica.stop();
    }
  } finally {
    await client.close();
  }
}


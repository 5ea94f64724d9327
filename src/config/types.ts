import type { FlowDriverMode } from '../openflow/native/select-flow-driver.js';

export type { FlowDriverMode };
export type DatapathType = 'system' | 'netdev';
/** Transmit checksum offload on the workload end of each veth: auto = off on netdev, kept on system. */
export type TxChecksumOffloadMode = 'auto' | 'off' | 'keep';
/** How namespaces are plugged: auto = in-process rtnetlink when the native addon loads, else `ip`/`nsenter` processes. */
export type PlumbingMode = 'auto' | 'native' | 'process';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** local: the single-host OpenFlow pipeline; ovn: tenants span hosts as OVN logical switches (docs/architecture.md). */
export type Backend = 'local' | 'ovn';
/** Tunnel encapsulation ovn-controller uses towards other chassis. */
export type OvnEncapType = 'geneve' | 'vxlan';

/** The agent's configuration after defaults, file and flags are merged. */
export interface AgentConfig {
  /** OVSDB endpoint: unix:PATH or tcp:HOST:PORT. */
  readonly ovsdb: string;
  /** OVS run dir (bridge .mgmt sockets live here, for ovs-ofctl/ovs-appctl). */
  readonly ovsRundir: string;
  /** Bridge nsvswitch programs (created if missing). */
  readonly bridge: string;
  readonly datapathType: DatapathType;
  /** auto (default): turned off on netdev (the userspace datapath forwards partial checksums as they are), kept on system. */
  readonly txChecksumOffload: TxChecksumOffloadMode;
  /** auto (default): in-process rtnetlink when the native addon loads, else processes; native: refuse to start without it; process: always processes. */
  readonly plumbing: PlumbingMode;
  /** auto (default): in-process OpenFlow 1.5 on the bridge's management socket, ovs-ofctl when that fails; native: never ovs-ofctl; ofctl: always ovs-ofctl. */
  readonly flowDriver: FlowDriverMode;
  /** Directory of tenant manifests (*.yaml, *.yml). */
  readonly manifestDir: string;
  /** Refuse a manifest directory or file writable by group/others or owned by another user (sshd's StrictModes). */
  readonly manifestStrictModes: boolean;
  /** Directories watched for namespace files. */
  readonly namespaceDirs: readonly string[];
  /** Network namespace where OVS runs and host veth ends live; unset = the agent's own. */
  readonly hostNetns?: string;
  /** host:port of the HTTP endpoint (/metrics, /healthz, /readyz, /status). */
  readonly metricsListen: string;
  readonly logLevel: LogLevel;
  /** Full resync period (level-triggered repair), ms. */
  readonly resyncIntervalMs: number;
  /** Docker Engine API socket: read container names, labels and states (workloads); unset = off (namespace-only mode). */
  readonly dockerSocket?: string;
  /** Where the Docker Engine pins container namespaces (its exec root + /netns); used with dockerSocket. Default /run/docker/netns. */
  readonly dockerNetnsDir?: string;
  /** A CRI runtime's socket (containerd, CRI-O): read pod names, namespaces, labels and states; unset = off. */
  readonly criSocket?: string;
  /** Where the agent sees the CRI runtime's pod namespace files (the host's /run/netns); used with criSocket. Default /run/netns. */
  readonly criNetnsDir?: string;
  /** local (default): today's single-host pipeline; ovn: logical switches and ports in OVN's northbound database. */
  readonly backend: Backend;
  /** ovn: the northbound database (its cluster members), comma-separated unix:/tcp:/ssl: remotes. */
  readonly ovnNbRemotes?: string;
  /** ovn: the southbound database's members (ovn-controller's ovn-remote; the agent reads its own chassis there). */
  readonly ovnSbRemotes?: string;
  /** ovn: this host's chassis name; unset = Open_vSwitch external_ids:system-id, else the host name. */
  readonly ovnSystemId?: string;
  /** ovn: the underlay address other chassis reach this one's tunnels at (required in ovn mode). */
  readonly ovnEncapIp?: string;
  readonly ovnEncapType: OvnEncapType;
}

import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig, parseAgentFlags, parseConfigText } from '../../../src/config/index.js';

const F = '/etc/nsvswitch/config.yaml';
const OVN = ['--backend', 'ovn', '--ovn-nb-remotes', 'tcp:10.0.0.1:6641,tcp:10.0.0.2:6641', '--ovn-sb-remotes', 'ssl:10.0.0.1:6642', '--ovn-encap-ip', '172.31.0.11'];

describe('backend ovn configuration', () => {
  it('defaults to the local backend, with geneve for ovn', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ backend: 'local', ovnEncapType: 'geneve' });
  });

  it('reads the ovn keys from a file: remotes as a comma-separated string or a YAML list (relative unix: paths against the file)', () => {
    const text = 'backend: ovn\novnNbRemotes: [unix:nb.sock, "tcp:10.0.0.2:6641"]\novnSbRemotes: ssl:10.0.0.1:6642,tcp:[::1]:6642\novnSystemId: host-1\novnEncapIp: 172.31.0.11\novnEncapType: vxlan\n';
    expect(parseConfigText(F, text)).toEqual({
      backend: 'ovn', ovnNbRemotes: 'unix:/etc/nsvswitch/nb.sock,tcp:10.0.0.2:6641', ovnSbRemotes: 'ssl:10.0.0.1:6642,tcp:[::1]:6642',
      ovnSystemId: 'host-1', ovnEncapIp: '172.31.0.11', ovnEncapType: 'vxlan',
    });
  });

  it('takes them as flags', async () => {
    const { flags } = parseAgentFlags([...OVN, '--ovn-system-id', 'h1']);
    expect(await loadConfig({ flags })).toMatchObject({ backend: 'ovn', ovnNbRemotes: 'tcp:10.0.0.1:6641,tcp:10.0.0.2:6641', ovnSbRemotes: 'ssl:10.0.0.1:6642', ovnEncapIp: '172.31.0.11', ovnSystemId: 'h1' });
  });

  const bad: [string, string, string][] = [
    ['an unknown backend', 'backend: ovs\n', `${F}:1: backend must be one of "local", "ovn", got string "ovs"`],
    ['a remote that is no remote', 'ovnNbRemotes: 10.0.0.1:6641\n', `${F}:1: ovnNbRemotes must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT, got string "10.0.0.1:6641"`],
    ['one bad member of a list', 'ovnSbRemotes: [tcp:10.0.0.1:6642, "tcp:x"]\n', `${F}:1: ovnSbRemotes[1] must be unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT, got string "tcp:x"`],
    ['an encap address that is not IPv4', 'ovnEncapIp: fe80::1\n', `${F}:1: ovnEncapIp must be an IPv4 address, got string "fe80::1"`],
    ['a system id with a space', 'ovnSystemId: "my host"\n', `${F}:1: ovnSystemId must be 1 to 64 of A-Z a-z 0-9 . _ -, got string "my host"`],
  ];
  it.each(bad)('rejects %s, naming file, line and key', (_what, text, message) => {
    expect(() => parseConfigText(F, text)).toThrow(message);
  });

  it('needs the databases and the encap address together with backend ovn, saying which are missing', async () => {
    await expect(loadConfig({ flags: { backend: 'ovn', ovnNbRemotes: 'tcp:10.0.0.1:6641' } })).rejects.toThrow(
      'backend ovn needs ovnSbRemotes (--ovn-sb-remotes), ovnEncapIp (--ovn-encap-ip)');
    await expect(loadConfig({ flags: { backend: 'ovn', ovnNbRemotes: 'tcp:10.0.0.1:6641' } })).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses ovn keys without backend ovn (a forgotten --backend would silently run the local pipeline)', async () => {
    await expect(loadConfig({ flags: { ovnEncapIp: '172.31.0.11' } })).rejects.toThrow('ovnEncapIp given but backend is "local": set backend: ovn (--backend ovn), or drop them');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configHelp, ConfigError, DEFAULT_CONFIG, FlagError, loadConfig, parseAgentFlags, parseConfigText, parseDuration, didYouMean } from '../../../src/config/index.js';

const F = '/etc/nsvswitch/config.yaml';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('DEFAULT_CONFIG', () => {
  it('fits a standard Debian Open vSwitch install', () => {
    expect(DEFAULT_CONFIG).toEqual({
      ovsdb: 'unix:/var/run/openvswitch/db.sock', ovsRundir: '/var/run/openvswitch', bridge: 'br-nsv', datapathType: 'system',
      txChecksumOffload: 'auto', plumbing: 'auto', flowDriver: 'auto', manifestDir: '/etc/nsvswitch/tenants.d', manifestStrictModes: true, namespaceDirs: ['/run/netns', '/run/docker/netns'], metricsListen: '127.0.0.1:9476',
      logLevel: 'info', resyncIntervalMs: 30000, backend: 'local', ovnEncapType: 'geneve',
    });
    expect(DEFAULT_CONFIG).not.toHaveProperty('hostNetns');
  });
});

describe('parseConfigText', () => {
  it('reads every key', () => {
    const text = [
      'ovsdb: tcp:127.0.0.1:6640', 'ovsRundir: /run/ovs', 'bridge: br-test', 'datapathType: netdev', 'txChecksumOffload: keep', 'manifestDir: /srv/tenants',
      'namespaceDirs: [/run/netns, /var/run/netns]', 'hostNetns: /run/netns/host', 'metricsListen: "[::1]:9000"', 'logLevel: debug', 'resyncIntervalMs: 5s', '',
    ].join('\n');
    expect(parseConfigText(F, text)).toEqual({
      ovsdb: 'tcp:127.0.0.1:6640', ovsRundir: '/run/ovs', bridge: 'br-test', datapathType: 'netdev', txChecksumOffload: 'keep', manifestDir: '/srv/tenants',
      namespaceDirs: ['/run/netns', '/var/run/netns'], hostNetns: '/run/netns/host', metricsListen: '[::1]:9000', logLevel: 'debug', resyncIntervalMs: 5000,
    });
  });

  it('reads an empty file as no overrides, and resolves relative paths against the file\'s directory', () => {
    expect(parseConfigText(F, '')).toEqual({});
    expect(parseConfigText(F, 'manifestDir: tenants.d\novsdb: unix:run/db.sock\n')).toEqual({ manifestDir: '/etc/nsvswitch/tenants.d', ovsdb: 'unix:/etc/nsvswitch/run/db.sock' });
  });

  it('accepts resyncIntervalMs as an integer of milliseconds', () => {
    expect(parseConfigText(F, 'resyncIntervalMs: 1500\n')).toEqual({ resyncIntervalMs: 1500 });
  });

  const bad: [string, string, string][] = [
    ['an unknown key, with a suggestion', 'bridge: br0\nbrigde: br1\n', `${F}:2: unknown key "brigde"; did you mean "bridge"?`],
    ['a kebab-case key', 'manifest-dir: /x\n', `${F}:1: unknown key "manifest-dir"; did you mean "manifestDir"?`],
    ['an unknown key without a near one', 'colour: red\n', `${F}:1: unknown key "colour"`],
    ['a bad ovsdb endpoint', 'ovsdb: /var/run/openvswitch/db.sock\n', `${F}:1: ovsdb must be unix:PATH or tcp:HOST:PORT, got string "/var/run/openvswitch/db.sock"`],
    ['a tcp endpoint without port', 'ovsdb: tcp:127.0.0.1\n', `${F}:1: ovsdb must be unix:PATH or tcp:HOST:PORT, got string "tcp:127.0.0.1"`],
    ['a bridge name too long', 'bridge: br-0123456789abcd\n', `${F}:1: bridge "br-0123456789abcd" is not a valid interface name: 1 to 15 bytes, not "." or "..", without "/", ":" or whitespace`],
    ['an unknown datapath type', 'datapathType: kernel\n', `${F}:1: datapathType must be one of "system", "netdev", got string "kernel"`],
    ['an unknown offload mode', 'txChecksumOffload: on\n', `${F}:1: txChecksumOffload must be one of "auto", "off", "keep", got string "on"`],
    ['namespaceDirs as a string', 'namespaceDirs: /run/netns\n', `${F}:1: namespaceDirs must be a non-empty list of directories, got string "/run/netns"`],
    ['an empty namespaceDirs', 'namespaceDirs: []\n', `${F}:1: namespaceDirs must be a non-empty list of directories, got a list`],
    ['a non-string namespace dir', 'namespaceDirs:\n  - /run/netns\n  - 5\n', `${F}:2: namespaceDirs[1] must be a non-empty string, got number 5`],
    ['a listen address without port', 'metricsListen: 127.0.0.1\n', `${F}:1: metricsListen must be HOST:PORT (port 0..65535; IPv6 as [::1]:PORT), got string "127.0.0.1"`],
    ['a port above 65535', 'metricsListen: 127.0.0.1:70000\n', `${F}:1: metricsListen must be HOST:PORT (port 0..65535; IPv6 as [::1]:PORT), got string "127.0.0.1:70000"`],
    ['an unknown log level', 'logLevel: verbose\n', `${F}:1: logLevel must be one of "trace", "debug", "info", "warn", "error", "fatal", got string "verbose"`],
    ['a malformed duration', 'resyncIntervalMs: soon\n', `${F}:1: resyncIntervalMs must be a duration like 30s, 500ms or 2m (or an integer of milliseconds), got string "soon"`],
    ['a too short resync interval', 'resyncIntervalMs: 10ms\n', `${F}:1: resyncIntervalMs must be between 100ms and 24h, got 10ms`],
    ['an empty manifestDir', 'manifestDir: ""\n', `${F}:1: manifestDir must be a non-empty string, got string ""`],
    ['manifestStrictModes that is not a boolean', 'manifestStrictModes: yes please\n', `${F}:1: manifestStrictModes must be true or false, got string "yes please"`],
    ['a file that is not a mapping', '- a\n', `${F}:1: expected a mapping of configuration keys, got YAMLSeq`],
    ['invalid YAML', 'bridge: br0\nbridge: br1\n', `${F}:2: invalid YAML: Map keys must be unique`],
  ];

  it.each(bad)('rejects %s, naming file:line', (_name, text, message) => {
    const e = errorOf(() => parseConfigText(F, text));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toBe(message);
  });

  it('puts key and line in the error fields', () => {
    expect(errorOf(() => parseConfigText(F, 'logLevel: x\n'))).toMatchObject({ file: F, line: 1, key: 'logLevel' });
  });
});

describe('parseAgentFlags', () => {
  it('maps every flag to its key, in both --flag VALUE and --flag=VALUE forms', () => {
    const r = parseAgentFlags([
      '--config', '/etc/x.yaml', '--ovsdb', 'unix:/tmp/db.sock', '--ovs-rundir=/tmp', '--bridge', 'br0', '--datapath-type', 'netdev',
      '--manifest-dir', '/m', '--namespace-dir', '/a', '--namespace-dir=/b', '--host-netns', '/run/netns/h', '--metrics-listen', '0.0.0.0:0',
      '--log-level', 'warn', '--resync-interval', '500ms',
    ]);
    expect(r).toEqual({
      configFile: '/etc/x.yaml', help: false, rest: [],
      flags: { ovsdb: 'unix:/tmp/db.sock', ovsRundir: '/tmp', bridge: 'br0', datapathType: 'netdev', manifestDir: '/m', namespaceDirs: ['/a', '/b'], hostNetns: '/run/netns/h', metricsListen: '0.0.0.0:0', logLevel: 'warn', resyncIntervalMs: 500 },
    });
  });

  it('collects positionals, -h, and everything after --', () => {
    expect(parseAgentFlags(['pos', '-h', '--', '--bridge', 'x'])).toEqual({ flags: {}, rest: ['pos', '--bridge', 'x'], help: true });
    expect(parseAgentFlags(['-c', 'f.yaml'])).toMatchObject({ configFile: 'f.yaml' });
  });

  it('resolves relative directories against the working directory', () => {
    expect(parseAgentFlags(['--manifest-dir', 'tenants']).flags.manifestDir).toBe(resolve('tenants'));
  });

  const bad: [string, string[], string][] = [
    ['an unknown flag, with a suggestion', ['--brige', 'x'], '--brige: unknown flag; did you mean "--bridge"?'],
    ['a key spelt as a flag', ['--manifestDir', 'x'], '--manifestDir: unknown flag; did you mean "--manifest-dir"?'],
    ['a flag without value', ['--bridge'], '--bridge: needs a value (NAME)'],
    ['a bad value', ['--datapath-type', 'kernel'], '--datapath-type: must be one of "system", "netdev", got string "kernel"'],
    ['a bad duration', ['--resync-interval', '30'], '--resync-interval: must be between 100ms and 24h, got 30ms'],
  ];

  it.each(bad)('rejects %s with FlagError', (_name, argv, message) => {
    const e = errorOf(() => parseAgentFlags(argv));
    expect(e).toBeInstanceOf(FlagError);
    expect((e as Error).message).toBe(message);
  });

  it('leaves unknown flags in rest with allowUnknown (for commands with flags of their own)', () => {
    expect(parseAgentFlags(['--json', '--bridge', 'br0', 'x'], { allowUnknown: true })).toEqual({ flags: { bridge: 'br0' }, rest: ['--json', 'x'], help: false });
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(process.env.NSVS_TEST_ROOT ?? tmpdir(), 'config-unit-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('layers defaults, then the file, then flags', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'bridge: br-file\nlogLevel: debug\n');
    const flags = parseAgentFlags(['--bridge', 'br-flag']).flags;
    expect(await loadConfig({ file, flags })).toEqual({ ...DEFAULT_CONFIG, bridge: 'br-flag', logLevel: 'debug' });
    expect(await loadConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('validates flags given from code, and rejects unknown keys', async () => {
    await expect(loadConfig({ flags: { datapathType: 'kernel' } })).rejects.toThrow('--datapath-type: must be one of "system", "netdev", got string "kernel"');
    await expect(loadConfig({ flags: { bridgeName: 'x' } as never })).rejects.toThrow('unknown key "bridgeName"; did you mean "bridge"?');
  });

  it('names the file when it cannot be read', async () => {
    const file = join(dir, 'missing.yaml');
    await expect(loadConfig({ file })).rejects.toThrow(`${file}: cannot read config file: ENOENT`);
  });

  it('loads the example shipped in deploy/examples', async () => {
    expect(await loadConfig({ file: 'deploy/examples/config.yaml' })).toEqual(DEFAULT_CONFIG);
  });
});

describe('helpers', () => {
  it('parses durations', () => {
    expect([parseDuration('30s'), parseDuration('500ms'), parseDuration('2m'), parseDuration('1h'), parseDuration('1.5s'), parseDuration('250')]).toEqual([30000, 500, 120000, 3600000, 1500, 250]);
    expect([parseDuration(''), parseDuration('5 minutes'), parseDuration('-1s'), parseDuration('0.5ms')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('suggests only near names', () => {
    expect(didYouMean('subent', ['subnet', 'gateway'])).toBe('subnet');
    expect(didYouMean('xyz', ['subnet', 'gateway'])).toBeUndefined();
  });

  it('documents every flag with its default in the help text', () => {
    const help = configHelp();
    for (const flag of ['--config', '--ovsdb', '--ovs-rundir', '--bridge', '--datapath-type', '--manifest-dir', '--namespace-dir', '--host-netns', '--metrics-listen', '--log-level', '--resync-interval']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('[default: 127.0.0.1:9476]');
    expect(help).toContain('[default: 30s]');
  });
});

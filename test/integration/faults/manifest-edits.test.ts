import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { AgentEnv, eventually, tenantYaml } from '../../helpers/agent-env.js';
import { FaultRecorder, envInt, faultExpectation, faultTenantYaml, seededRandom, sleep, withDualStack } from '../../helpers/faults.js';
import { checkInvariants, type TenantExpectation } from '../../helpers/invariants.js';

/** Random manifest edits in the stream. */
const EDITS = envInt('NSVS_FAULT_MANIFEST_EDITS', 40);
/** Namespaces present at the start (more come and go during the stream). */
const INITIAL = envInt('NSVS_FAULT_MANIFEST_NS', 12);

interface TenantDef {
  readonly file: string;
  readonly name: string;
  readonly id: number;
  /** Subnets this tenant may move between (disjoint from every other tenant's). */
  readonly subnets: readonly string[];
  /** The dual-stack tenant's IPv6 prefix (withDualStack: the first tenant has one). */
  readonly subnet6?: string;
}
const TENANTS: readonly TenantDef[] = withDualStack<TenantDef>([
  { file: 'a.yaml', name: 'mea', id: 801, subnets: ['10.80.0.0/24', '10.80.1.0/24', '10.80.4.0/22'] },
  { file: 'b.yaml', name: 'meb', id: 802, subnets: ['10.81.0.0/24', '10.81.1.0/25', '10.81.8.0/21'] },
  { file: 'c.yaml', name: 'mec', id: 803, subnets: ['10.82.0.0/24', '10.82.2.0/23'] },
]);
const MTUS = [1300, 1400, 1500];
/** The known valid set the stream settles to. */
const FINAL = TENANTS.map((t, i) => ({ ...t, subnet: t.subnets[(i + 1) % t.subnets.length]!, mtu: MTUS[i % MTUS.length]! }));

const manifest = (t: TenantDef, subnet: string, mtu: number): string => faultTenantYaml({ ...t, subnet }, `  interface: { name: eth0, mtu: ${mtu} }\n`);

describe('fault: a stream of random manifest edits (valid and invalid) while namespaces come and go', () => {
  let env: AgentEnv;
  let agent: Agent | undefined;
  const { seed, int, pick, rand } = seededRandom('manifest-edits');
  const rec = new FaultRecorder('manifest-edits', seed);
  const present = new Set<string>();
  let serial = 0;
  const fresh = (): string => `${pick(TENANTS).name}-${String(serial++).padStart(4, '0')}`;

  beforeAll(async () => {
    env = await AgentEnv.start('fault-manifests');
    for (const t of TENANTS) await env.writeManifest(t.file, manifest(t, t.subnets[0]!, 1500));
  });
  afterAll(async () => {
    await agent?.stop();
    await rec.write().catch(() => undefined);
    await env?.stop();
  });

  it('settles to the final manifests: every matching namespace plugged once with the final subnet and MTU', async () => {
    const initial = Array.from({ length: INITIAL }, fresh);
    await env.workloads.add(...initial);
    for (const n of initial) present.add(n);
    agent = await Agent.start(env.config({ resyncIntervalMs: 3_000 }), { logger: silentLogger(), http: false });
    await agent.ready;

    // Each kind of edit, with how it is written. Invalid ones must be rejected without touching working ports.
    const edits: Record<string, (t: TenantDef) => Promise<void>> = {
      'valid: subnet/mtu change': (t) => env.writeManifest(t.file, manifest(t, pick(t.subnets), pick(MTUS))),
      'invalid: broken YAML': (t) => env.writeManifest(t.file, `apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata: { name: ${t.name}\nspec: [unclosed\n`),
      'invalid: bad field values': (t) => env.writeManifest(t.file, tenantYaml(t.name, -4, '10.999.0.0/33', [`${t.name}-*`])),
      'invalid: unknown kind': (t) => env.writeManifest(t.file, manifest(t, t.subnets[0]!, 1500).replace('kind: Tenant', 'kind: Tennant')),
      'conflict: another tenant\'s first subnet': (t) => {
        const other = TENANTS.find((o) => o !== t)!;
        return env.writeManifest(t.file, manifest(t, other.subnets[0]!, 1500));
      },
      'file deleted': (t) => env.removeManifest(t.file),
      'file truncated (empty)': (t) => env.writeManifest(t.file, ''),
    };
    const kinds = Object.keys(edits);
    let nsAdded = 0, nsRemoved = 0;
    for (let e = 0; e < EDITS; e++) {
      const kind = pick(kinds);
      await edits[kind]!(pick(TENANTS));
      rec.fault(kind);
      // Namespaces come and go at the same time.
      if (rand() < 0.5) {
        const add = Array.from({ length: int(1, 3) }, fresh);
        await env.workloads.add(...add);
        for (const n of add) present.add(n);
        nsAdded += add.length;
      }
      if (rand() < 0.3 && present.size > 4) {
        const victim = pick([...present]);
        await env.workloads.remove(victim);
        present.delete(victim);
        nsRemoved++;
      }
      await sleep(int(10, 250));
    }

    // Settle: the known valid set, written file by file (an editor would do the same).
    for (const t of FINAL) await env.writeManifest(t.file, manifest(t, t.subnet, t.mtu));
    const expected: Record<string, TenantExpectation> = Object.fromEntries(FINAL.map((t) => [t.name,
      faultExpectation(t, [...present].filter((n) => n.startsWith(`${t.name}-`)).sort(), { mtu: t.mtu })]));
    await eventually('the final tenants in force without problems', async () => {
      const s = agent!.status();
      return s.problems.length === 0 && FINAL.every((t) => s.tenants.some((x) => x.name === t.name && x.subnet === t.subnet));
    }, 20_000, 100);
    const report = await checkInvariants(env, { expectedByTenant: expected, settleMs: 60_000 });
    rec.namespacesHandled(INITIAL + nsAdded);
    rec.note('namespacesAdded', nsAdded);
    rec.note('namespacesRemoved', nsRemoved);
    rec.note('manifestRejections', (await agent.metrics.manifestRejections.get()).values.reduce((a, v) => a + v.value, 0));
    rec.checked(report);
    expect(report.ports).toBe(present.size);
    rec.passed = true;
  }, 150_000);
});

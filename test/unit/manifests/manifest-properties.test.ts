import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseManifestFile, parseManifestText, resolveTenantSet, type AcceptedVersion, type FileSnapshot } from '../../../src/manifests/index.js';
import { assertCompatible, assertValidTenant } from './tenant-invariants.js';

/** Property runs, scaled by NSVS_PROPERTY_SCALE (default 0.4) so the suite stays fast; raise it to search harder. */
function runs(n: number): number {
  return Math.max(20, Math.ceil(n * Number(process.env.NSVS_PROPERTY_SCALE ?? '0.4')));
}

const VALID = `apiVersion: nsvswitch/v1
kind: Tenant
metadata: { name: blue, labels: { a: b } }
spec:
  id: 100
  subnet: 10.10.0.0/24
  gateway: 10.10.0.1
  namespaces: ["blue-*", "/run/docker/netns/b-*"]
  interface: { name: eth0, mtu: 1500 }
  staticAddresses:
    blue-db: 10.10.0.10
    blue-x: 10.10.0.11
---
apiVersion: nsvswitch/v1
kind: Tenant
metadata:
  name: green
spec:
  id: 200
  subnet: 10.20.0.0/30
  namespaces:
    - green-*
`;

const TOKENS = ['', ' ', ':', '-', '---', '\n', '"', "'", '[', ']', '{', '}', '*', '&a', '*a', '!!binary', '#', '0', '-1', '1e9', '0x10', '16777216', '10.10.0.0/16', '10.10.0.255', '10.10.0.0', '10.20.0.1', '.', '..', 'a/b', 'eth 0', 'null', '~', 'true', '\t', 'blue', 'Blue', '256.1.1.1', '/32', '/31', '/0', 'é', '\u0000'];

/** Applies one edit to the text: delete a span, insert a token, duplicate or drop a line, replace a token. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dropLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replaceWord' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % text.length;
  const lines = text.split('\n');
  const li = lines.length === 0 ? 0 : m.at % lines.length;
  switch (m.kind) {
    case 'delete': return text.slice(0, at) + text.slice(at + m.len);
    case 'insert': return text.slice(0, at) + m.token + text.slice(at);
    case 'dupLine': return [...lines.slice(0, li + 1), lines[li] ?? '', ...lines.slice(li + 1)].join('\n');
    case 'dropLine': return [...lines.slice(0, li), ...lines.slice(li + 1)].join('\n');
    case 'replaceWord': {
      const words = [...text.matchAll(/[A-Za-z0-9./-]+/g)];
      const w = words.length ? words[m.at % words.length] : undefined;
      return w?.index === undefined ? text : text.slice(0, w.index) + m.token + text.slice(w.index + w[0].length);
    }
  }
}

function checkAccepted(text: string): void {
  const parsed = parseManifestFile('f.yaml', text);
  for (const p of parsed.problems) {
    expect(p.file).toBe('f.yaml');
    expect(Number.isInteger(p.line) && p.line >= 0).toBe(true);
    expect(p.message.length).toBeGreaterThan(0);
  }
  for (const t of parsed.tenants) assertValidTenant(t.tenant);
  assertCompatible(parsed.tenants.map((t) => t.tenant));
}

describe('manifest loader properties', () => {
  it('the valid base text is accepted whole', () => {
    expect(parseManifestText('f.yaml', VALID).problems).toEqual([]);
    expect(parseManifestText('f.yaml', VALID).tenants).toHaveLength(2);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => checkAccepted(s)), { numRuns: runs(500) });
  });

  it('never throws and never accepts an invalid tenant after random edits of a valid file', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => {
        checkAccepted(ms.reduce(mutate, VALID));
      }),
      { numRuns: runs(1500) },
    );
  });

  // Structured documents: each field either valid, subtly invalid, or of the wrong type.
  const anyScalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const field = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid }, { weight: 1, arbitrary: anyScalar });
  const octet = fc.integer({ min: 0, max: 255 });
  const addr = fc.tuple(fc.constant(10), fc.constant(10), fc.constantFrom(0, 1), octet).map((p) => p.join('.'));
  const doc = fc.record({
    apiVersion: field(fc.constant('nsvswitch/v1'), fc.constantFrom('nsvswitch/v2', 'v1')),
    kind: field(fc.constant('Tenant'), fc.constantFrom('tenant', 'Namespace')),
    metadata: field(fc.record({ name: field(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/), fc.constantFrom('Blue', '-a', 'a'.repeat(64), 'a_b')) }), fc.string()),
    spec: fc.record(
      {
        id: field(fc.integer({ min: 1, max: 16777215 }), fc.constantFrom(0, -1, 16777216, 1.5, '7')),
        subnet: field(fc.tuple(fc.constantFrom('10.10.0.0', '10.10.1.0', '10.10.0.128'), fc.integer({ min: 24, max: 30 })).map(([a, l]) => `${a}/${l}`), fc.constantFrom('10.10.0.1/24', '10.10.0.0/31', '10.10.0.0/33', '10.10.0.0', 'x/8')),
        gateway: field(addr, fc.constantFrom('10.10.0.256', '10.10.0', '::1')),
        namespaces: field(fc.array(fc.stringMatching(/^[a-z*?]{1,5}$/), { minLength: 1, maxLength: 3 }), fc.constantFrom([], [''], ['a/b'], [3])),
        interface: field(fc.record({ name: field(fc.stringMatching(/^[a-z0-9]{1,15}$/), fc.constantFrom('.', '..', 'a b', 'a/b', 'a:b', 'x'.repeat(16))), mtu: field(fc.integer({ min: 68, max: 65535 }), fc.constantFrom(67, 65536, 1.5)) }, { requiredKeys: [] }), fc.constant([])),
        staticAddresses: field(fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), addr, { maxKeys: 3 }), fc.constantFrom({ 'a/b': '10.10.0.5' }, { a: 'x' })),
      },
      { requiredKeys: [] },
    ),
  }, { requiredKeys: [] });

  it('never accepts an invalid tenant from structured random documents', () => {
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = docs.map((d) => stringify(d)).join('---\n');
        checkAccepted(text);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('accepts every valid tenant and reads it back exactly', () => {
    const valid = fc
      .record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
        id: fc.integer({ min: 1, max: 16777215 }),
        net: fc.integer({ min: 0, max: 255 }),
        len: fc.integer({ min: 16, max: 29 }),
        gateway: fc.boolean(),
        statics: fc.uniqueArray(fc.integer({ min: 0, max: 1 }), { maxLength: 2 }),
        mtu: fc.integer({ min: 68, max: 65535 }),
        ifname: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,14}$/).filter((n) => n !== '.' && n !== '..'),
      })
      .map((v) => {
        const subnet = `10.${v.net}.0.0/${v.len}`;
        const staticAddresses = Object.fromEntries(v.statics.map((i) => [`${v.name}-s${i}`, `10.${v.net}.0.${2 + i}`]));
        return { name: v.name, id: v.id, subnet, ...(v.gateway ? { gateway: `10.${v.net}.0.1` } : {}), namespaces: [`${v.name}-*`], interface: { name: v.ifname, mtu: v.mtu }, staticAddresses };
      });
    fc.assert(
      fc.property(valid, (t) => {
        const { name, ...spec } = t;
        const text = stringify({ apiVersion: 'nsvswitch/v1', kind: 'Tenant', metadata: { name }, spec });
        const r = parseManifestText('f.yaml', text);
        expect(r.problems).toEqual([]);
        expect(r.tenants).toEqual([{ ...t, source: { file: 'f.yaml', line: 1 } }]);
      }),
      { numRuns: runs(500) },
    );
  });

  it('keeps the tenants in force compatible across files through any sequence of versions', () => {
    const version = fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: fc.array(doc, { minLength: 1, maxLength: 2 }).map((ds) => ds.map((d) => stringify(d)).join('---\n')) },
    );
    const step = fc.record({ file: fc.constantFrom('a.yaml', 'b.yaml', 'c.yaml'), text: version, mtime: fc.nat(100) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const current = new Map<string, FileSnapshot>();
        let accepted: ReadonlyMap<string, AcceptedVersion> = new Map();
        for (const s of steps) {
          if (s.text === undefined) current.delete(s.file);
          else current.set(s.file, { parsed: parseManifestFile(s.file, s.text), hash: s.text, mtimeMs: s.mtime });
          const r = resolveTenantSet(accepted, [...current.values()]);
          accepted = r.accepted;
          const inForce = [...r.set.tenants.values()];
          inForce.forEach(assertValidTenant);
          assertCompatible(inForce);
          for (const [file, v] of r.accepted) expect(current.has(file) && v.parsed.problems.length === 0).toBe(true);
          expect(r.set.tenants.size).toBe([...r.accepted.values()].reduce((n, v) => n + v.parsed.tenants.length, 0));
        }
      }),
      { numRuns: runs(400) },
    );
  });
});

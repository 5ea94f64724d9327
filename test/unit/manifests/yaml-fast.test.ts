// The fast reader (yaml-fast.ts) must build exactly what the yaml package builds — node kinds, values,
// start offsets, line starts, and so every problem and line — or decline and leave the text to the package.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, isMap, isPair, isScalar, isSeq } from 'yaml';
import { readFastDocuments } from '../../../src/manifests/yaml-fast.js';
import { DEFAULT_BUDGETS, readYamlDocuments } from '../../../src/manifests/yaml-stream.js';
import { parseManifestFile } from '../../../src/manifests/index.js';
import { tenantDoc, tenantYaml } from './manifest-text.js';

function dumpNode(n: unknown): unknown {
  if (n === null || n === undefined) return n;
  const start = (n as { range?: number[] }).range?.[0];
  if (isScalar(n)) return { s: n.value, t: typeof n.value, start };
  if (isMap(n)) return { map: n.items.map((p) => [dumpNode(p.key), dumpNode(p.value)]), start };
  if (isSeq(n)) return { seq: n.items.map((i) => (isPair(i) ? ['pair', dumpNode(i.key), dumpNode(i.value)] : dumpNode(i))), start };
  return { other: String(n) };
}

function dumpRead(text: string, fast: boolean): unknown {
  const lc = new LineCounter();
  const read = readYamlDocuments(text, lc, DEFAULT_BUDGETS, { fast });
  return {
    docs: read.docs.map((d) => ({ root: dumpNode(d.doc.contents), issues: d.issues, aliases: d.aliases.size, json: d.issues.length === 0 ? d.doc.toJS({ mapAsMap: true }) : undefined })),
    over: read.overBudget,
    lines: lc.lineStarts,
  };
}

/** The fast reader took `text`, and built what the package builds. */
function expectSame(text: string): boolean {
  const taken = readFastDocuments(text, DEFAULT_BUDGETS.maxDocuments) !== undefined;
  expect(dumpRead(text, true)).toEqual(dumpRead(text, false));
  return taken;
}

const TENANTS = [
  tenantYaml(),
  tenantYaml({ name: 'red', namespaces: '\n    - "red-*"\n    - red-b*  # comment\n    - \'x\'', extra: ['staticAddresses: { red-a: 10.10.0.5 }'] }),
  `${tenantDoc({ name: 'a', id: 1, subnet: '10.1.0.0/24' })}---\n${tenantDoc({ name: 'b', id: 2, subnet: '10.2.0.0/24', gateway: '10.2.0.1' })}`,
  `# leading comment\n---\n${tenantYaml()}`,
  'apiVersion: nsvswitch/v1\nkind: Tenant\nmetadata:\n  name: w\n  labels:\n    team: x\nspec:\n  id: 7\n  subnet: 10.7.0.0/24\n  workloads:\n  - name: web-*\n    labels: { app: web }\n  - name: db\n  egress:\n    allow: [10.0.0.0/8, "192.168.0.0/16"]\n',
];

describe('yaml-fast: the fast reader', () => {
  it('reads ordinary manifests itself, exactly as the yaml package does', () => {
    for (const t of TENANTS) expect(expectSame(t)).toBe(true);
  });

  it('reads the bench file (10,000 tenants) itself', () => {
    const docs: string[] = [];
    for (let i = 0; i < 300; i++) docs.push(tenantDoc({ name: `t${i}`, id: i + 1, subnet: `10.${i >> 8}.${i & 255}.0/24` }));
    const text = docs.join('---\n');
    expect(expectSame(text)).toBe(true);
    expect(parseManifestFile('f.yaml', text).tenants).toHaveLength(300);
  });

  it('leaves everything outside its subset to the yaml package (same problems, same lines)', () => {
    const declined = [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  x\n', 'a: "x\\n"\n', "a: 'it''s'\n", 'a:\n', 'a: null\n', 'a: true\n', 'a: 1.5\n', 'a: 0x1f\n', 'a: 1e3\n',
      'a: b\n  c\n', 'a: "x\n  y"\n', 'a: [1,\n  2]\n', 'a:\tb\n', 'a: b\r\n', 'a: é\n', '%YAML 1.2\n---\na: 1\n', '--- a: 1\n', 'a: 1\n...\n', 'a: 1\n---\n',
      'a: 1\n---\n---\nb: 2\n', '? a\n: b\n', '"a": 1\n', 'a b: 1\n', 'a: b: c\n', 'a: [1, ]\n', 'a: {b}\n', 'a: [a: b]\n', '- - a\n', 'x\n', '[1, 2]\n', '',
      'a: 1\n b: 2\n', '  a: 1\nb: 2\n', 'a: -x\n', 'a: [1]#c\n', `${'k:\n'.repeat(40)}  x\n`,
    ];
    for (const t of declined) expect(expectSame(t), JSON.stringify(t)).toBe(false);
  });

  it('matches the yaml package on duplicate keys, nesting and odd but valid layouts', () => {
    const taken = [
      'a: 1\na: 2\n', 'a:\n- x\n- y\nb: 1\n', 'a:\n  - x: 1\n    y: 2\n  - z\n', 'a: -1\n', 'a: 007\n', 'a: x:y\n', 'a: x#y\n', 'a: b # c\n', 'a: [ ]\n', 'a: {}\n',
      'a: { b: [1, [2, {c: d}]] }\n', '- a\n- b: 1\n  c: 2\n', 'a: http://x/y?z\n', 'a:    spaced   \n', '__proto__: {x: 1}\n', 'a: [ "x, y", \'z\' ]\n', '1: a\n',
      'a:\n\n  # c\n\n  b: 1\n', 'a: 99999999999999999999\n', 'a: 1 #c\n  # more\nb: 2\n',
    ];
    for (const t of taken) expect(expectSame(t), JSON.stringify(t)).toBe(true);
  });

  it('never differs from the yaml package on random texts (property)', () => {
    const token = fc.constantFrom('a', 'b', 'k1', '1', '-1', '0o7', 'x y', '"q"', "'s'", '[]', '{}', '[a, 1]', '{ a: b }', '&x', '*x', 'null', '~', 'true', '1.5', '#c', ' #c', ':', ': ', '- ', '?', '|', '"', "'", '\\', ',', '[', '}', 'é', '\t', '\r');
    const line = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(token, { minLength: 0, maxLength: 5 }), fc.constantFrom('', ':', ': ', ': v', ':\n')).map(([ind, toks, tail]) => `${' '.repeat(ind)}${toks.join('')}${tail}`);
    const structured = fc.array(fc.oneof(line, fc.constantFrom('---', 'a:', '  b: 1', '  - x', '- y', 'c: [1, 2]', '  d: { e: f }', '')), { maxLength: 12 }).map((ls) => `${ls.join('\n')}\n`);
    let taken = 0;
    fc.assert(
      fc.property(structured, (text) => {
        if (expectSame(text)) taken++;
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(50); // some texts take the fast path (the next property: most do)
  });

  it('never differs from the yaml package on random manifest-like texts, nor after a one-character edit (property)', () => {
    const scalar = fc.constantFrom('a', 'web-*', 'x y', 'x:y', 'x#y', '10.0.0.0/24', '-1', '007', '42', '"q r"', "'s'", '"a, b"', 'b # c', '__proto__', 'http://h/p');
    const key = fc.constantFrom('a', 'b', 'k-1', 'a.b', '1', 'a/b', '__proto__', 'spec');
    type Tree = { s: string } | { seq: Tree[] } | { map: [string, Tree][] };
    const { tree } = fc.letrec<{ tree: Tree; seq: Tree; map: Tree }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar.map((s): Tree => ({ s })), tie('seq'), tie('map')),
      seq: fc.array(tie('tree'), { minLength: 0, maxLength: 3 }).map((seq): Tree => ({ seq })),
      map: fc.array(fc.tuple(key, tie('tree')), { minLength: 1, maxLength: 3 }).map((map): Tree => ({ map })),
    }));
    const flow = (t: Tree): string => ('s' in t ? t.s : 'map' in t ? `{ ${t.map.map(([k, v]) => `${k}: ${flow(v)}`).join(', ')} }` : `[${t.seq.map(flow).join(', ')}]`);
    const inline = (t: Tree, flowHere: boolean): boolean => 's' in t || flowHere || ('seq' in t && t.seq.length === 0);
    const block = (t: Tree, ind: number, step: number, useFlow: (d: number) => boolean, d: number): string[] => {
      const pad = ' '.repeat(ind);
      if ('map' in t) return t.map.flatMap(([k, v]) => (inline(v, useFlow(d)) ? [`${pad}${k}: ${flow(v)}`] : [`${pad}${k}:`, ...block(v, ind + step, step, useFlow, d + 1)]));
      if ('seq' in t && t.seq.length > 0) return t.seq.flatMap((v) => (inline(v, useFlow(d)) ? [`${pad}- ${flow(v)}`] : [`${pad}-`, ...block(v, ind + step, step, useFlow, d + 1)]));
      return [`${pad}${flow(t)}`];
    };
    const doc = fc.tuple(fc.array(fc.tuple(key, tree), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 7 }))
      .map(([m, step, mask]) => block({ map: m }, 0, step, (d) => ((mask >> (d % 3)) & 1) === 1, 0).join('\n'));
    const text = fc.tuple(fc.array(doc, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ds, lead]) => `${lead ? '---\n' : ''}${ds.join('\n---\n')}\n`);
    const edited = fc.tuple(text, fc.nat(), fc.constantFrom('', ' ', '\n', '-', ':', '#', '"', '[', ',', '  ')).map(([t, at, ins]) => {
      const i = at % (t.length + 1);
      return ins === '' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + ins + t.slice(i);
    });
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.oneof(text, edited), (t) => {
        runs++;
        if (expectSame(t)) taken++;
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(runs / 10); // not vacuous (flow items with ":" or "#", and most edits, are declined)
  });
});

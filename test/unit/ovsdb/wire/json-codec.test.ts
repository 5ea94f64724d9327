import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseJsonBigInt, stringifyJson } from '../../../../src/ovsdb/wire/json-codec.js';

describe('JSON with 64-bit integers', () => {
  it('parses integers beyond 2^53 as exact bigints and the rest as numbers', () => {
    expect(parseJsonBigInt('{"a":9223372036854775807,"b":-9223372036854775808,"c":42,"d":1.5e3,"e":9007199254740991}')).toEqual({
      a: 9223372036854775807n, b: -9223372036854775808n, c: 42, d: 1500, e: 9007199254740991,
    });
  });

  it('writes bigints as bare JSON integers', () => {
    expect(stringifyJson({ op: 'update', row: { next_cfg: 9223372036854775807n, s: 'x"y', n: [1, ['set', []]] } })).toBe(
      '{"op":"update","row":{"next_cfg":9223372036854775807,"s":"x\\"y","n":[1,["set",[]]]}}',
    );
  });

  it('round-trips with bigints and agrees with JSON.parse on ordinary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        fc.pre(!/\d{16}/.test(text)); // unsafe integers are bigints by design (checked below)
        expect(parseJsonBigInt(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (b) => {
        const back = parseJsonBigInt(stringifyJson([b])) as [number | bigint];
        expect(BigInt(back[0])).toBe(b);
      }),
    );
  });

  it('rejects malformed JSON', () => {
    for (const bad of ['{"a":}', '{"a":1', '[1,]', '{"a":1} x', '"\u0001"', '{a:1}']) {
      expect(() => parseJsonBigInt(bad), bad).toThrow(SyntaxError);
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OvsdbFrameTooLargeError } from '../../../../src/ovsdb/errors/ovsdb-frame-too-large-error.js';
import { OvsdbProtocolError } from '../../../../src/ovsdb/errors/ovsdb-protocol-error.js';
import { FrameScanner, type Frame } from '../../../../src/ovsdb/wire/frame-scanner.js';
import { parseFrame } from '../../../../src/ovsdb/wire/json-codec.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const MAX = 1 << 20;

interface Meta { requestIds: number[]; bigInteger: string; tricky: string }
function fixture(name: 'small' | 'large'): { bytes: Buffer; meta: Meta } {
  return {
    bytes: readFileSync(join(FIXTURES, `server-${name}.bin`)),
    meta: JSON.parse(readFileSync(join(FIXTURES, `server-${name}.meta.json`), 'utf8')) as Meta,
  };
}

function scan(chunks: Iterable<Buffer>, max = MAX): Frame[] {
  const s = new FrameScanner('test', max);
  const out: Frame[] = [];
  for (const c of chunks) out.push(...s.pushAll(c));
  expect(s.pendingBytes).toBe(0);
  return out;
}

function* splitAt(bytes: Buffer, cuts: readonly number[]): Generator<Buffer> {
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(prev, c);
    prev = c;
  }
  yield bytes.subarray(prev);
}

/** A seeded PRNG so a failing random split can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('FrameScanner on real ovsdb-server output', () => {
  for (const name of ['small', 'large'] as const) {
    const { bytes, meta } = fixture(name);
    const whole = scan([bytes]);

    it(`${name}: cuts the stream into JSON-RPC messages that partition it exactly`, () => {
      expect(whole.map((f) => f.text).join('')).toBe(bytes.toString('utf8'));
      const msgs = whole.map(parseFrame) as { id: number | null; method?: string }[];
      const replyIds = msgs.filter((m) => m.id !== null).map((m) => m.id);
      expect(replyIds).toEqual(meta.requestIds);
      expect(msgs.some((m) => m.method === 'update3')).toBe(true);
    });

    it(`${name}: keeps multibyte strings, braces and escaped quotes intact`, () => {
      const echo = parseFrame(whole[name === 'large' ? 1 : 0]!) as { result: string[] };
      expect(echo.result).toEqual([meta.tricky]);
      expect(bytes.toString('utf8')).toContain('😀');
    });

    it(`${name}: reads the 64-bit integer exactly (as bigint)`, () => {
      const big = whole.find((f) => f.text.includes(meta.bigInteger));
      expect(big?.hasLongNumber).toBe(true);
      const msg = parseFrame(big!) as { params: [string, string, { Open_vSwitch: Record<string, { modify: { next_cfg: unknown } }> }] };
      const row = Object.values(msg.params[2].Open_vSwitch)[0]!;
      expect(row.modify.next_cfg).toBe(BigInt(meta.bigInteger));
    });

    it(`${name}: gives the same frames when split into 1-byte chunks`, () => {
      const ones = scan(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)));
      expect(ones).toEqual(whole);
    });

    it(`${name}: gives the same frames when split at random points (200 seeded runs)`, () => {
      const rand = mulberry32(name.length * 7919);
      for (let run = 0; run < 200; run++) {
        const n = 1 + Math.floor(rand() * 40);
        const cuts = Array.from({ length: n }, () => Math.floor(rand() * bytes.length));
        expect(scan(splitAt(bytes, cuts)), `run ${run}, cuts ${cuts.join(',')}`).toEqual(whole);
      }
    });
  }

  it('small: gives the same frames when split at every byte boundary (incl. inside multibyte characters)', () => {
    const { bytes } = fixture('small');
    const whole = scan([bytes]);
    let insideMultibyte = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      if ((bytes[cut]! & 0xc0) === 0x80) insideMultibyte++;
      const frames = scan(splitAt(bytes, [cut]));
      if (frames.length !== whole.length || frames.some((f, i) => f.text !== whole[i]!.text)) {
        expect.fail(`split at byte ${cut} changed the frames`);
      }
    }
    expect(insideMultibyte).toBeGreaterThan(20);
  });

  it('large: gives the same frames when split into every pair of pieces at 3 cuts around each message boundary', () => {
    const { bytes } = fixture('large');
    const whole = scan([bytes]);
    let offset = 0;
    for (const f of whole) {
      offset += Buffer.byteLength(f.text);
      for (const cut of [offset - 1, offset, offset + 1].filter((c) => c > 0 && c < bytes.length)) {
        expect(scan(splitAt(bytes, [cut]))).toEqual(whole);
      }
    }
  });
});

describe('FrameScanner edge cases', () => {
  const texts = (chunks: string[]): string[] => scan(chunks.map((c) => Buffer.from(c))).map((f) => f.text);

  it('ignores braces and brackets inside strings, and escaped quotes and backslashes', () => {
    expect(texts(['{"a":"}]\\"{"}{"b":"\\\\"}', '{"c":["\\\\\\"]"]}'])).toEqual(['{"a":"}]\\"{"}', '{"b":"\\\\"}', '{"c":["\\\\\\"]"]}']);
  });

  it('skips whitespace between messages and splits several messages in one chunk', () => {
    expect(texts([' \n{"a":1}\r\n\t{"b":2} ', ' {"c":3}'])).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('does not complete a frame until its last byte arrives', () => {
    const s = new FrameScanner('test', MAX);
    expect(s.pushAll(Buffer.from('{"a":{"b":"}'))).toEqual([]);
    expect(s.pushAll(Buffer.from('"}'))).toEqual([]);
    expect(s.pushAll(Buffer.from('}')).map((f) => f.text)).toEqual(['{"a":{"b":"}"}}']);
  });

  it('delivers the messages before a bad byte, then rejects it', () => {
    const got: string[] = [];
    expect(() => new FrameScanner('t', MAX).push(Buffer.from('{"a":1} {"b":2}}'), (f) => got.push(f.text))).toThrow(/unexpected byte 0x7d/);
    expect(got).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('rejects bytes that cannot start a message', () => {
    const s = new FrameScanner('unix:/x.sock', MAX);
    expect(() => s.pushAll(Buffer.from('{"a":1}garbage'))).toThrow(OvsdbProtocolError);
    expect(() => new FrameScanner('t', MAX).pushAll(Buffer.from('"str"'))).toThrow(/unexpected byte 0x22/);
  });

  it('rejects a message larger than the limit, also while it is still incomplete', () => {
    expect(() => new FrameScanner('t', 16).pushAll(Buffer.from('{"a":"0123456789abcdef"}'))).toThrow(OvsdbFrameTooLargeError);
    const s = new FrameScanner('t', 16);
    s.pushAll(Buffer.from('{"a":"0123'));
    expect(() => s.pushAll(Buffer.from('456789abcdef'))).toThrow(OvsdbFrameTooLargeError);
    expect(new FrameScanner('t', 16).pushAll(Buffer.from('{"a":"01234567"}')).length).toBe(1);
  });

  it('flags long digit runs outside strings only', () => {
    expect(scan([Buffer.from('{"a":"12345678901234567890"}')])[0]!.hasLongNumber).toBe(false);
    expect(scan([Buffer.from('{"a":123456789012345}')])[0]!.hasLongNumber).toBe(false);
    expect(scan([Buffer.from('{"a":1234567890123456}')])[0]!.hasLongNumber).toBe(true);
  });

  it('handles 3 MB of brace-and-quote-heavy strings in 7-byte chunks', () => {
    // No timing assertion: a scanner that re-scanned its buffer per chunk (quadratic) would hit the test timeout.
    const msg = Buffer.from(`{"s":"${'x{"}'.repeat(1000).replace(/"/g, '\\"')}"}`);
    const many = Buffer.concat(Array.from({ length: 500 }, () => msg));
    const chunks = Array.from({ length: Math.ceil(many.length / 7) }, (_, i) => many.subarray(i * 7, i * 7 + 7));
    expect(scan(chunks, many.length).length).toBe(500);
  });

  it('property: any sequence of JSON objects, split anywhere, comes back unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (objs, rawCuts) => {
          const bytes = Buffer.from(objs.map((o) => JSON.stringify(o)).join('\n'));
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const got = scan(splitAt(bytes, cuts)).map((f) => JSON.parse(f.text) as unknown);
          expect(got).toEqual(objs.map((o) => JSON.parse(JSON.stringify(o)) as unknown));
        },
      ),
      { numRuns: 150 },
    );
  });
});

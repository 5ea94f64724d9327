// A fast reader for the plain subset of YAML that manifests are written in: block mappings and sequences
// indented with spaces, one-line flow collections, plain and one-line quoted scalars without escapes,
// comments and "---" between documents. It builds the same nodes (values, ranges) as the yaml package,
// about ten times faster (the package's lexer, parser and composer cost ~1 s for 1.5 MiB here). Anything
// else — anchors, aliases, tags, block scalars, escapes, multi-line scalars, empty values, non-ASCII
// text, tabs, CR, directives, numbers other than decimal integers, odd indentation — makes it return
// undefined, and the caller reads the file with the yaml package: errors and their messages stay yaml's.
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/** Nesting beyond this is left to the yaml package (and the depth budget of yaml-stream.ts). */
const MAX_FAST_DEPTH = 24;
/** yaml refuses implicit keys longer than 1024 characters: leave those to it. */
const MAX_KEY_LENGTH = 1000;

const NOT_IN_SUBSET = /[^\n\x20-\x7e]/;
const KEY = /[A-Za-z0-9_][A-Za-z0-9_./-]*/y;
const DECIMAL = /^[-+]?[0-9]+$/;
// Core-schema scalars that are not strings (yaml/dist/schema/core, common/null): left to the package.
const NULL_OR_BOOL = /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OTHER_NUMBER = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;

/** Thrown inside the reader when the text leaves the subset; never escapes this module. */
class NotInSubset extends Error {}
const bail = (): never => {
  throw new NotInSubset();
};

const SP = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;

class Reader {
  /** Start of the current line and the first character after its indentation. */
  private line = 0;
  private col = 0;

  constructor(
    private readonly text: string,
    private readonly end: number,
  ) {}

  private lineEnd(from: number): number {
    const i = this.text.indexOf('\n', from);
    return i < 0 || i > this.end ? this.end : i;
  }

  /** Moves to the next line with content at or after `from` (a line start); false at the end. */
  private seekContent(from: number): boolean {
    let p = from;
    const t = this.text;
    while (p < this.end) {
      let c = p;
      while (c < this.end && t.charCodeAt(c) === SP) c++;
      const ch = c < this.end ? t.charCodeAt(c) : NL;
      if (ch !== NL && ch !== HASH) {
        this.line = p;
        this.col = c;
        return true;
      }
      p = this.lineEnd(c) + 1;
    }
    this.line = this.end;
    this.col = this.end;
    return false;
  }

  private indent(): number {
    return this.col - this.line;
  }

  /** The end of a `key:` at `at` (the offset after the colon), or -1 if the line does not start a mapping entry there. */
  private keyEnd(at: number): number {
    KEY.lastIndex = at;
    if (!KEY.test(this.text)) return -1;
    const k = KEY.lastIndex;
    if (this.text.charCodeAt(k) !== COLON) return -1;
    const after = k + 1 < this.end ? this.text.charCodeAt(k + 1) : NL;
    return after === SP || after === NL ? k + 1 : -1;
  }

  private isSeqItem(at: number): boolean {
    if (this.text.charCodeAt(at) !== DASH) return false;
    const after = at + 1 < this.end ? this.text.charCodeAt(at + 1) : NL;
    return after === SP || after === NL;
  }

  /** The documents' root: a block mapping or sequence; undefined if the document has no content. */
  root(from: number): Node | undefined {
    if (!this.seekContent(from)) return undefined;
    const node = this.block(0);
    if (this.seekContent(this.line) && this.line < this.end) bail(); // content left over (less indented than the root)
    return node;
  }

  /** A block collection starting at the current content position. */
  private block(depth: number): Node {
    if (depth > MAX_FAST_DEPTH) bail();
    if (this.isSeqItem(this.col)) return this.seq(this.indent(), this.col, depth);
    if (this.keyEnd(this.col) >= 0) return this.map(this.indent(), this.col, depth);
    return bail();
  }

  /** A block mapping whose keys are at column `ind`; its first key at `at` (maybe mid-line, after "- "). */
  private map(ind: number, at: number, depth: number): YAMLMap {
    const map = new YAMLMap<Node, Node>();
    let keyAt = at;
    for (;;) {
      const colon = this.keyEnd(keyAt);
      if (colon < 0) bail();
      if (colon - 1 - keyAt > MAX_KEY_LENGTH) bail();
      const key = plainScalar(this.text.slice(keyAt, colon - 1), keyAt);
      const value = this.valueAfter(colon, ind, true, depth);
      map.items.push(new Pair(key, value));
      if (!this.seekContent(this.line) || this.indent() < ind) break;
      if (this.indent() > ind || this.isSeqItem(this.col)) bail();
      keyAt = this.col;
    }
    map.range = [at, this.line, this.line];
    return map;
  }

  /** A block sequence whose "-" are at column `ind`, the first at `at`. */
  private seq(ind: number, at: number, depth: number): YAMLSeq {
    const seq = new YAMLSeq<Node>();
    let dashAt = at;
    for (;;) {
      const content = dashAt + 1;
      let c = content;
      while (c < this.end && this.text.charCodeAt(c) === SP) c++;
      const ch = c < this.end ? this.text.charCodeAt(c) : NL;
      if (ch !== NL && ch !== HASH && this.keyEnd(c) >= 0) {
        if (depth + 1 > MAX_FAST_DEPTH) bail();
        // A compact mapping: "- key: value" and its other keys at the column of the first.
        seq.items.push(this.map(c - this.line, c, depth + 1));
      } else if (ch !== NL && ch !== HASH && this.isSeqItem(c)) {
        bail();
      } else {
        seq.items.push(this.valueAfter(content, ind, false, depth));
      }
      if (!this.seekContent(this.line) || this.indent() < ind) break;
      if (this.indent() > ind || !this.isSeqItem(this.col)) {
        if (this.indent() === ind) break; // the next key of a mapping whose value this sequence is
        bail();
      }
      dashAt = this.col;
    }
    seq.range = [at, this.line, this.line];
    return seq;
  }

  /**
   * The value after `key:` or `-` (at `from`, on the current line): inline up to the end of the line, or
   * a block on the next lines. In a mapping (`inMap`), a sequence may sit at the key's own column.
   * Leaves the reader at the start of the line after the value.
   */
  private valueAfter(from: number, ind: number, inMap: boolean, depth: number): Node {
    const t = this.text;
    let c = from;
    while (c < this.end && t.charCodeAt(c) === SP) c++;
    const eol = this.lineEnd(c);
    if (c === eol || t.charCodeAt(c) === HASH) {
      // Nothing inline: a block below, more indented (or, for a mapping value, a sequence at the key's column).
      if (c > from && c < eol && t.charCodeAt(c - 1) !== SP) bail();
      if (!this.seekContent(eol + 1)) bail();
      if (this.indent() > ind) return this.block(depth + 1);
      if (inMap && this.indent() === ind && this.isSeqItem(this.col)) {
        if (depth + 1 > MAX_FAST_DEPTH) bail();
        return this.seq(ind, this.col, depth + 1);
      }
      return bail(); // an empty value (null): its range is the package's business
    }
    const [node, stop] = this.inline(c, eol, depth + 1);
    let r = stop;
    while (r < eol && t.charCodeAt(r) === SP) r++;
    if (r < eol && (t.charCodeAt(r) !== HASH || r === stop)) bail();
    // The next content line must not be more indented: that would continue a plain scalar (or be an error).
    if (this.seekContent(eol + 1) && this.indent() > ind) bail();
    return node;
  }

  /** A value inside one line, in block context: [node, offset after it]. */
  private inline(at: number, eol: number, depth: number): [Node, number] {
    const t = this.text;
    const ch = t.charCodeAt(at);
    if (ch === 0x5b || ch === 0x7b) return this.flow(at, eol, depth);
    if (ch === 0x22 || ch === 0x27) return quoted(t, at, eol);
    // A plain scalar: up to " #" or the end of the line, trailing spaces trimmed.
    let e = at;
    while (e < eol && !(t.charCodeAt(e) === HASH && t.charCodeAt(e - 1) === SP)) e++;
    while (e > at && t.charCodeAt(e - 1) === SP) e--;
    const src = t.slice(at, e);
    if (src.includes(': ') || src.endsWith(':')) bail();
    return [plainScalar(src, at), e];
  }

  /** A flow collection that opens at `at` and closes on the same line. */
  private flow(at: number, eol: number, depth: number): [Node, number] {
    if (depth > MAX_FAST_DEPTH) bail();
    const t = this.text;
    const isMap = t.charCodeAt(at) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    const coll = isMap ? new YAMLMap<Node, Node>() : new YAMLSeq<Node>();
    coll.flow = true;
    let p = at + 1;
    const skip = (): void => {
      while (p < eol && t.charCodeAt(p) === SP) p++;
    };
    skip();
    if (t.charCodeAt(p) === close) {
      coll.range = [at, p + 1, p + 1];
      return [coll, p + 1];
    }
    for (;;) {
      skip();
      if (p >= eol) bail();
      if (isMap) {
        const colon = this.keyEnd(p);
        if (colon < 0 || colon >= eol || t.charCodeAt(colon) !== SP) bail();
        const key = plainScalar(t.slice(p, colon - 1), p);
        p = colon;
        skip();
        const [value, next] = this.flowItem(p, eol, depth);
        (coll as YAMLMap<Node, Node>).items.push(new Pair(key, value));
        p = next;
      } else {
        const [item, next] = this.flowItem(p, eol, depth);
        (coll as YAMLSeq<Node>).items.push(item);
        p = next;
      }
      skip();
      const ch = p < eol ? t.charCodeAt(p) : NL;
      if (ch === close) {
        coll.range = [at, p + 1, p + 1];
        return [coll, p + 1];
      }
      if (ch !== 0x2c) bail();
      p++;
      skip();
      if (p >= eol || t.charCodeAt(p) === close) bail(); // a trailing comma
    }
  }

  private flowItem(at: number, eol: number, depth: number): [Node, number] {
    const t = this.text;
    if (at >= eol) bail();
    const ch = t.charCodeAt(at);
    if (ch === 0x5b || ch === 0x7b) return this.flow(at, eol, depth + 1);
    if (ch === 0x22 || ch === 0x27) return quoted(t, at, eol);
    let e = at;
    for (; e < eol; e++) {
      const c = t.charCodeAt(e);
      if (c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) break;
      if (c === COLON || c === HASH) bail();
    }
    while (e > at && t.charCodeAt(e - 1) === SP) e--;
    return [plainScalar(t.slice(at, e), at), e];
  }
}

/** A one-line quoted scalar without escapes at `at`: [node, offset after the closing quote]. */
function quoted(t: string, at: number, eol: number): [Node, number] {
  const q = t.charCodeAt(at);
  let close = at + 1;
  while (close < eol && t.charCodeAt(close) !== q) close++;
  if (close >= eol) bail();
  const value = t.slice(at + 1, close);
  if (q === 0x22 ? value.includes('\\') : t.charCodeAt(close + 1) === 0x27) bail();
  const s = new Scalar(value);
  s.range = [at, close + 1, close + 1];
  s.source = value;
  s.type = q === 0x22 ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
  return [s, close + 1];
}

/** A plain scalar as the core schema reads it, for the values this reader takes: strings and decimal integers. */
function plainScalar(src: string, at: number): Scalar {
  if (src.length === 0) bail();
  const c0 = src.charCodeAt(0);
  // Indicators that start something other than a plain scalar (or need a closer look): the package's.
  if ('-?:,[]{}#&*!|>\'"%@`'.includes(src[0]!) && !(c0 === DASH && DECIMAL.test(src))) bail();
  let value: string | number = src;
  if (DECIMAL.test(src)) value = parseInt(src, 10);
  else if (NULL_OR_BOOL.test(src) || OTHER_NUMBER.test(src)) bail();
  const s = new Scalar(value);
  s.range = [at, at + src.length, at + src.length];
  s.source = src;
  s.type = Scalar.PLAIN;
  return s;
}

/** Offsets of the "---" lines that separate documents, or undefined if some line starting with "---" or "..." or "%" is anything else. */
function separators(text: string): number[] | undefined {
  const seps: number[] = [];
  let p = 0;
  for (;;) {
    const i = text.indexOf('\n', p);
    const e = i < 0 ? text.length : i;
    const c = text.charCodeAt(p);
    if (c === DASH || c === 0x2e || c === 0x25) {
      const line = text.slice(p, e);
      if (line === '---') seps.push(p);
      else if (line.startsWith('---') || line.startsWith('...') || c === 0x25) return undefined;
    }
    if (i < 0) return seps;
    p = i + 1;
  }
}

/**
 * The documents of `text` as the yaml package would compose them, or undefined if the text leaves the
 * subset (or has more than `maxDocuments` documents): then read it with the package.
 */
export function readFastDocuments(text: string, maxDocuments: number): { docs: Document.Parsed[]; lineStarts: number[] } | undefined {
  if (NOT_IN_SUBSET.test(text)) return undefined;
  const seps = separators(text);
  if (!seps) return undefined;
  const docs: Document.Parsed[] = [];
  try {
    const bounds: [number, number][] = [];
    let start = 0;
    for (const s of seps) {
      bounds.push([start, s]);
      start = s + 4;
    }
    bounds.push([start, text.length]);
    for (let i = 0; i < bounds.length; i++) {
      const [from, to] = bounds[i]!;
      const reader = new Reader(text, Math.min(to, text.length));
      const root = reader.root(Math.min(from, text.length));
      if (root === undefined) {
        if (i === 0 && bounds.length > 1) continue; // comments before the first "---": no document
        return undefined; // an empty document: the package's
      }
      if (docs.length >= maxDocuments) return undefined;
      const doc = new Document(null) as unknown as Document.Parsed;
      doc.contents = root as Document.Parsed['contents'];
      doc.range = [root.range?.[0] ?? from, to, to];
      docs.push(doc);
    }
  } catch (e) {
    if (e instanceof NotInSubset) return undefined;
    throw e;
  }
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return { docs, lineStarts };
}

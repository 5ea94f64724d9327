// YAML documents of one manifest file, read one at a time under budgets (documents, aliases, nesting),
// with aliases resolved and duplicate keys found in one linear walk per document. The yaml package
// does neither linearly: Alias.resolve walks the whole document per alias, and its uniqueKeys check
// compares every key of a mapping with every earlier one.
import { Composer, Parser, isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type LineCounter, type Node } from 'yaml';
import { MAX_ALIASES_PER_FILE, MAX_DEPTH, MAX_DOCUMENTS_PER_FILE } from './limits.js';
import { readFastDocuments } from './yaml-fast.js';

/** One problem found while reading, at a source offset (the caller turns it into a line). */
export interface YamlIssue {
  readonly offset: number;
  readonly message: string;
}

/** One document, with its aliases resolved (an alias without an anchor before it resolves to undefined). */
export interface YamlDocument {
  readonly doc: Document.Parsed;
  readonly aliases: ReadonlyMap<Alias, Node | undefined>;
  /** Syntax errors, duplicate keys, unresolved aliases, nesting: a document with issues is not validated further. */
  readonly issues: readonly YamlIssue[];
}

export interface YamlRead {
  readonly docs: readonly YamlDocument[];
  /** A budget was exceeded: the file is refused, and reading stopped there. */
  readonly overBudget?: YamlIssue;
}

export interface YamlBudgets {
  readonly maxDocuments: number;
  readonly maxAliases: number;
  readonly maxDepth: number;
}

export const DEFAULT_BUDGETS: YamlBudgets = Object.freeze({ maxDocuments: MAX_DOCUMENTS_PER_FILE, maxAliases: MAX_ALIASES_PER_FILE, maxDepth: MAX_DEPTH });

function offsetOf(node: unknown, fallback: number): number {
  return (node as { range?: [number, number, number] } | null)?.range?.[0] ?? fallback;
}

/**
 * Walks one document in document order (pre-order, keys before values), without recursion so nesting
 * cannot overflow the stack: resolves each alias to the last node anchored with its name before it,
 * finds duplicate scalar keys, and counts aliases against `aliasBudget` (the aliases left for this file).
 */
function walk(doc: Document.Parsed, aliasBudget: number, maxDepth: number): { aliases: Map<Alias, Node | undefined>; issues: YamlIssue[]; over?: YamlIssue } {
  const aliases = new Map<Alias, Node | undefined>();
  const issues: YamlIssue[] = [];
  const anchors = new Map<string, Node>();
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      if (aliases.size >= aliasBudget) {
        return { aliases, issues, over: { offset: offsetOf(node, 0), message: `more than ${MAX_ALIASES_PER_FILE} YAML aliases (*${node.source}) in this file: write the values out (each alias costs a walk of the whole document)` } };
      }
      const target = anchors.get(node.source);
      aliases.set(node, target);
      if (!target) issues.push({ offset: offsetOf(node, 0), message: `alias *${node.source} has no anchor &${node.source} before it` });
      continue;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as Node);
    if (isMap(node) || isSeq(node)) {
      if (depth >= maxDepth) {
        issues.push({ offset: offsetOf(node, 0), message: `nested more than ${maxDepth} levels deep` });
        continue;
      }
      const children: unknown[] = [];
      if (isMap(node)) {
        const keys = new Set<unknown>();
        for (const pair of node.items) {
          const k = pair.key;
          if (isScalar(k)) {
            if (keys.has(k.value)) issues.push({ offset: offsetOf(k, offsetOf(node, 0)), message: 'Map keys must be unique' });
            keys.add(k.value);
          }
          children.push(pair.key, pair.value);
        }
      } else {
        for (const item of node.items) children.push(isPair(item) ? item.key : item, ...(isPair(item) ? [item.value] : []));
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], depth: depth + 1 });
    }
  }
  return { aliases, issues };
}

/** The documents of `text` from the fast reader (yaml-fast.ts) if the text is in its subset, else from the yaml package. */
function documentsOf(text: string, lineCounter: LineCounter, maxDocuments: number, fast: boolean): Iterable<Document.Parsed> {
  const read = fast ? readFastDocuments(text, maxDocuments) : undefined;
  if (!read) {
    // uniqueKeys: false — the walk finds duplicates in linear time (yaml's own check is quadratic per mapping).
    return new Composer({ uniqueKeys: false }).compose(new Parser(lineCounter.addNewLine).parse(text));
  }
  for (const start of read.lineStarts) lineCounter.addNewLine(start);
  return read.docs;
}

/**
 * Reads the documents of `text` one at a time (the rest of the text is never parsed once a budget is
 * exceeded). `lineCounter` collects line starts for the caller's offset → line lookups. `fast: false`
 * skips the fast reader (tests compare both).
 */
export function readYamlDocuments(text: string, lineCounter: LineCounter, budgets: YamlBudgets = DEFAULT_BUDGETS, opts: { readonly fast?: boolean } = {}): YamlRead {
  const docs: YamlDocument[] = [];
  let aliasesLeft = budgets.maxAliases;
  try {
    for (const doc of documentsOf(text, lineCounter, budgets.maxDocuments, opts.fast ?? true)) {
      if (docs.length >= budgets.maxDocuments) {
        return { docs, overBudget: { offset: offsetOf(doc.contents, doc.range[0]), message: `more than ${budgets.maxDocuments} YAML documents in this file: split it into several files` } };
      }
      if (doc.errors.length > 0) {
        docs.push({ doc, aliases: new Map(), issues: doc.errors.map((e) => ({ offset: e.pos[0], message: e.message })) });
        continue;
      }
      const w = walk(doc, aliasesLeft, budgets.maxDepth);
      if (w.over) return { docs, overBudget: w.over };
      aliasesLeft -= w.aliases.size;
      docs.push({ doc, aliases: w.aliases, issues: w.issues });
    }
  } catch (e) {
    // The composer recurses on nesting; yaml turns most stack overflows into document errors, this is the rest.
    const message = e instanceof RangeError ? 'nested too deep to parse' : `cannot parse: ${e instanceof Error ? e.message : String(e)}`;
    return { docs, overBudget: { offset: 0, message } };
  }
  return { docs };
}

// Reads the agent's YAML config file: keys are AgentConfig keys; every error names file:line and key.
import { dirname } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import type { AgentConfig } from './types.js';
import { ConfigError } from './config-error.js';
import { CONFIG_KEYS, InvalidValue, coerceValue } from './keys.js';
import { suggestion } from './did-you-mean.js';

export type ConfigOverrides = { -readonly [K in keyof AgentConfig]?: AgentConfig[K] };

function lineOf(lc: LineCounter, node: Node | null | undefined): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

/** Validated values set by a config file's text (absent keys stay absent). Throws ConfigError. */
export function parseConfigText(file: string, text: string): ConfigOverrides {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line;
    throw new ConfigError(`invalid YAML: ${err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`, { file, ...(line === undefined ? {} : { line }) });
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return {};
  if (!isMap(root)) throw new ConfigError(`expected a mapping of configuration keys, got ${root.constructor.name}`, { file, line: lineOf(lc, root) ?? 1 });
  const out: ConfigOverrides = {};
  const baseDir = dirname(file);
  for (const pair of root.items) {
    const keyNode = isScalar(pair.key) ? pair.key : undefined;
    const key = keyNode ? String(keyNode.value) : '?';
    const keyLine = lineOf(lc, keyNode) ?? 1;
    if (!(CONFIG_KEYS as string[]).includes(key)) {
      throw new ConfigError(`unknown key "${key}"${suggestion(key, CONFIG_KEYS)}`, { file, line: keyLine, key });
    }
    const k = key as keyof AgentConfig;
    const valueNode = pair.value as Node | null;
    const value: unknown = valueNode === null ? null : valueNode.toJS(doc);
    if (value === null && k === 'hostNetns') continue;
    try {
      assign(out, k, value, baseDir);
    } catch (e) {
      if (!(e instanceof InvalidValue)) throw e;
      throw new ConfigError(e.message, { file, line: lineOf(lc, valueNode) ?? keyLine, key: k });
    }
  }
  return out;
}

function assign<K extends keyof AgentConfig>(out: ConfigOverrides, k: K, value: unknown, baseDir: string): void {
  out[k] = coerceValue(k, value, { kind: 'file', baseDir });
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, DEFAULT_CONFIG } from '../../../src/config/index.js';
import { INTERFACE_FIELDS, METADATA_FIELDS, SPEC_FIELDS, TOP_FIELDS } from '../../../src/manifests/fields.js';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

const read = (f: string): SchemaNode => JSON.parse(readFileSync(f, 'utf8')) as SchemaNode;

// Editors validate with these schemas; they must name exactly the fields the loader accepts.
describe('published JSON Schemas', () => {
  it('tenant.schema.json lists exactly the manifest fields, with the loader\'s limits', () => {
    const s = read('deploy/tenant.schema.json');
    expect(Object.keys(s.properties ?? {}).sort()).toEqual([...TOP_FIELDS].sort());
    expect(Object.keys(s.properties?.metadata?.properties ?? {}).sort()).toEqual([...METADATA_FIELDS].sort());
    const spec = s.properties?.spec;
    expect(Object.keys(spec?.properties ?? {}).sort()).toEqual([...SPEC_FIELDS].sort());
    expect(spec?.required?.sort()).toEqual(['id']);
    // An IPv4 subnet, an IPv6 prefix, or both; the tenant gateway and IPv4 static addresses need the IPv4 subnet.
    expect((spec as { allOf?: unknown }).allOf).toEqual([{ anyOf: [{ required: ['subnet'] }, { required: ['subnet6'] }] }]);
    expect((spec as { dependencies?: unknown }).dependencies).toEqual({ gateway: ['subnet'], staticAddresses: ['subnet'] });
    // A tenant selects namespaces by file, or workloads by what they are, or both.
    expect((spec as { anyOf?: unknown }).anyOf).toEqual([{ required: ['namespaces'] }, { required: ['workloads'] }]);
    expect(Object.keys(spec?.properties?.interface?.properties ?? {}).sort()).toEqual([...INTERFACE_FIELDS].sort());
    expect([spec?.properties?.id?.minimum, spec?.properties?.id?.maximum]).toEqual([1, 16777215]);
  });

  it('config.schema.json lists exactly the config keys, with the same defaults', () => {
    const s = read('deploy/config.schema.json');
    expect(Object.keys(s.properties ?? {}).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const k of CONFIG_KEYS) {
      if (k === 'hostNetns') continue;
      expect(s.properties?.[k]?.default, k).toEqual(DEFAULT_CONFIG[k]);
    }
  });
});

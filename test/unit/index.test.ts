import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';

describe('the library entry', () => {
  it('is what package.json exports (src/index.ts builds to dist/index.js)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { default: string; types: string }> };
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  });

  it('offers the OVSDB client, the namespace source and the manifest loader', () => {
    for (const name of ['OvsdbClient', 'VswitchReplica', 'Txn', 'transactAndWait', 'watchNamespaces$', 'scanNamespaces', 'loadManifestPaths', 'parseManifestText', 'watchManifests$']) {
      expect(typeof (lib as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

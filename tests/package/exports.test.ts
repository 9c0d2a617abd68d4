import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The public surface, one list per subpath: the packaging check holds the built tarball to the
// same lists, so a name missing from either side fails.
const manifest = JSON.parse(readFileSync(new URL('./exports.json', import.meta.url), 'utf8')) as Record<
  string,
  string[]
>;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
};

describe('public exports', () => {
  it('every subpath of package.json exports is in the manifest, and no other', () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? 'bulwark' : `bulwark/${key.slice(2)}`));
    expect(subpaths.sort()).toEqual(Object.keys(manifest).sort());
  });

  it.each(Object.entries(manifest))('%s exports exactly its manifest', async (subpath, names) => {
    const module = (await import(/* @vite-ignore */ subpath)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual([...names].sort());
  });
});

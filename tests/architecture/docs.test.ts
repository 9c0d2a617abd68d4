import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'tests/package/exports.json'), 'utf8')) as Record<string, string[]>;
const publicNames = new Set(Object.values(manifest).flat());

/** Every `export function|class|const` of src with the TSDoc block right above it. */
function declarations(): Array<{ where: string; name: string; doc: string }> {
  const found: Array<{ where: string; name: string; doc: string }> = [];
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f: string) =>
    f.endsWith('.ts'),
  );
  for (const file of files) {
    const text = readFileSync(join(root, 'src', file), 'utf8');
    for (const match of text.matchAll(
      /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (?:abstract )?(?:function|class|const) (\w+)/g,
    )) {
      const line = text.slice(0, match.index).split('\n').length;
      found.push({
        where: `${relative(root, join(root, 'src', file))}:${line}`,
        name: match[2] as string,
        doc: match[1] ?? '',
      });
    }
  }
  return found;
}

describe('docs', () => {
  it('every public function, class and constant has TSDoc with an example', () => {
    const missing = declarations()
      .filter((d) => publicNames.has(d.name))
      .filter((d) => !d.doc.includes('@example'))
      .map((d) => `${d.where} ${d.name}`);
    expect(missing).toEqual([]);
  });

  it('every module that has landed has a guide in docs/ linked from docs/README.md', () => {
    const index = readFileSync(join(root, 'docs/README.md'), 'utf8');
    const guides: Record<string, string> = { bulwark: 'core.md' };
    for (const subpath of Object.keys(manifest)) {
      const guide = guides[subpath] ?? `${subpath.replace('bulwark/', '')}.md`;
      expect(readFileSync(join(root, 'docs', guide), 'utf8').length, guide).toBeGreaterThan(200);
      expect(index, `docs/README.md links ${guide}`).toContain(`(${guide})`);
    }
  });
});

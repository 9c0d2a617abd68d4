/**
 * Links a reader follows must lead somewhere: the README's wherever it is shown (npm shows it
 * without docs/, so its links are absolute), and the guides' within the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownFiles } from '../../scripts/docs/blocks.mjs';

const root = join(import.meta.dirname, '../..');
const REPO = 'https://github.com/bulwark-js/bulwark/blob/main/';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

/** `[text](target)` links outside code fences, with their line. */
function links(text: string): Array<{ target: string; line: number }> {
  const found: Array<{ target: string; line: number }> = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) return;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) found.push({ target: m[1] as string, line: i + 1 });
  });
  return found;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#+ (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

function problem(from: string, line: number, target: string): string | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  if (path === '') return undefined;
  const file = join(dirname(join(root, from)), path);
  if (!existsSync(file)) return `${from}:${line}: ${target} does not exist`;
  if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
    return `${from}:${line}: ${target} has no heading #${anchor}`;
  }
  return undefined;
}

describe('links', () => {
  it("the README's links are absolute, and those into this repository lead to a file that exists", () => {
    const bad: string[] = [];
    for (const { target, line } of links(readFileSync(join(root, 'README.md'), 'utf8'))) {
      if (target.startsWith('#')) continue;
      if (!/^https?:\/\//.test(target))
        bad.push(`README.md:${line}: ${target} is relative; npm shows the README alone`);
      else if (target.startsWith(REPO)) {
        const found = problem('README.md', line, target.slice(REPO.length));
        if (found) bad.push(found);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the guides' relative links lead to files (and headings) that exist", () => {
    const bad: string[] = [];
    for (const path of markdownFiles(root).filter((p) => !p.endsWith('README.md') || p.includes('docs'))) {
      const from = relative(root, path);
      for (const { target, line } of links(readFileSync(path, 'utf8'))) {
        if (/^[a-z]+:/.test(target)) continue;
        const found = problem(from, line, target);
        if (found) bad.push(found);
      }
    }
    expect(bad).toEqual([]);
  });

  it('package.json says where the repository, the home page and the issues are', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/bulwark-js/bulwark.git' });
    expect(pkg.homepage).toBe('https://github.com/bulwark-js/bulwark#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/bulwark-js/bulwark/issues' });
  });
});

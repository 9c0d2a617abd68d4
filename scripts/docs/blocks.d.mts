// Types of blocks.mjs, for tests/docs/blocks.test.ts.
export interface Block {
  lang: string;
  flags: string[];
  line: number;
  code: string;
}
export interface Check {
  id: string;
  source: string;
  code: string;
  map: number[];
  run: boolean;
  env: Record<string, string>;
  files: Array<{ path: string; code: string }>;
}
export function markdownFiles(root: string): string[];
export function blocksOf(text: string): Block[];
export function programMode(text: string): { run: boolean; env: Record<string, string> } | undefined;
export function joinProgram(blocks: Block[]): { code: string; map: number[] };
export function collect(root: string): { checks: Check[]; problems: string[] };

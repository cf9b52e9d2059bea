// The import graph of src/ keeps its shape (docs/ARCHITECTURE.md): no module imports itself
// back through others (type-only imports count: a cycle of types is still two homes that need
// each other), and decode/ — the packet layers — imports nothing from topology/, so decoding a
// capture never loads the dump model. The graph is read from the sources' own import and
// export-from statements and dynamic import() calls (relative specifiers only).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run.ts';

const src = join(repoRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s+['"](\.[^'"]+)['"]|(?:^|[\s;])import\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(SPECIFIER)].map((m) => normalize(join(dirname(file), (m[1] ?? m[2] ?? m[3])!)));
    graph.set(file, deps);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!graph.has(dep)) continue;
      if (state.get(dep) === 'open') found.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const rel = (file: string) => relative(repoRoot, file);

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('reads every module and its imports', () => {
    expect(graph.size).toBeGreaterThan(100);
    // The reader itself: trace.ts imports hop.ts, state.ts imports keys.ts.
    expect(graph.get(join(src, 'trace', 'trace.ts'))).toContain(join(src, 'trace', 'hop.ts'));
    expect(graph.get(join(src, 'ui', 'state.ts'))).toContain(join(src, 'ui', 'keys.ts'));
  });

  it('has no cycle', () => {
    expect(cycles(graph).map((c) => c.map(rel).join(' → '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    expect(cycles(new Map([[a, [b]], [b, [a]]])).map((c) => c.map(rel))).toEqual([['src/a.ts', 'src/b.ts', 'src/a.ts']]);
  });

  it('keeps decode/ free of topology/', () => {
    const wrong = [...graph]
      .filter(([file]) => file.startsWith(join(src, 'decode') + '/'))
      .flatMap(([file, deps]) => deps.filter((d) => d.startsWith(join(src, 'topology') + '/')).map((d) => `${rel(file)} → ${rel(d)}`));
    expect(wrong).toEqual([]);
  });
});

// kubectl's `-o json` and `-o yaml` as plain values, for one reader of Kubernetes objects
// (kubectl-objects.ts). JSON goes through JSON.parse (a 10,000-pod List is tens of MB; the yaml
// package would be many times slower on it); YAML through the `yaml` package, which keeps each
// node's line. Either way a place in the value is a path (`['items', 3, 'spec']`), and `lineOf`
// turns it into a line when the form keeps one.
//
// A JSON paste cut short (a docs page's "The output is similar to this", an issue comment) is
// read up to its last complete object: the open brackets are closed there, and one warning says
// where the text stopped.
import { yaml } from '../../util/yaml.ts';
import type { Warning } from '../model.ts';
import type { DumpSource } from './tokens.ts';
import { splitYamlList, type YamlList, type YamlPart } from './yaml-list.ts';

export type Path = (string | number)[];

export interface KubeDocument {
  value: unknown;
  /** The file line of the value at `path`, when the form keeps lines (YAML). */
  lineOf: (path: Path) => number | undefined;
}

/** `/items/3/spec`: RFC 6901, as kubectl's own `--output jsonpath` users read it. */
export function pointer(path: Path): string {
  return path.length === 0 ? '/' : path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export function decodeKubeDocuments(text: string, source: DumpSource): { documents: KubeDocument[]; warnings: Warning[] } {
  const trimmed = text.trimStart();
  return trimmed.startsWith('{') || trimmed.startsWith('[') ? decodeJson(text, source) : decodeYaml(text, source);
}

const noLines = (): undefined => undefined;

function lineAt(text: string, offset: number, first: number): number {
  let line = first;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function decodeJson(text: string, source: DumpSource): { documents: KubeDocument[]; warnings: Warning[] } {
  const first = source.firstLine ?? 1;
  try {
    return { documents: [{ value: JSON.parse(text) as unknown, lineOf: noLines }], warnings: [] };
  } catch (error) {
    const repaired = closeTruncatedJson(text);
    if (repaired !== undefined) {
      try {
        const value = JSON.parse(repaired.text) as unknown;
        const line = lineAt(text, repaired.cut, first);
        const warning: Warning = { file: source.file, line, message: `JSON ends before its objects close (cut short?): read up to here, ${repaired.closed} open object(s) and list(s) closed; what followed is not known` };
        return { documents: [{ value, lineOf: noLines }], warnings: [warning] };
      } catch {
        // not a clean cut: the syntax error below is the one to report
      }
    }
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const lineCol = /line (\d+) column/.exec(message);
    const line = lineCol ? Number(lineCol[1]) + first - 1 : at ? lineAt(text, Number(at[1]), first) : first;
    return { documents: [], warnings: [{ file: source.file, line, message: `not valid JSON (${message.split('\n')[0]!.slice(0, 120)}); not read` }] };
  }
}

/**
 * A JSON text that stops mid-way, cut back to just after its last complete `}` or `]` inside the
 * top value and closed there. Undefined when the text is not cut (its brackets balance) or is
 * cut before anything complete.
 */
export function closeTruncatedJson(text: string): { text: string; cut: number; closed: number } | undefined {
  const stack: string[] = [];
  let inString = false;
  let best: { at: number; stack: string[] } | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c === '{' ? '}' : ']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return undefined;
      if (stack.length === 0) return undefined; // the top value closed: not a cut, another error
      best = { at: i + 1, stack: [...stack] };
    }
  }
  if (stack.length === 0 || best === undefined) return undefined;
  const closers = [...best.stack].reverse().join('');
  return { text: `${text.slice(0, best.at)}${closers}`, cut: best.at, closed: best.stack.length };
}

function decodeYaml(text: string, source: DumpSource): { documents: KubeDocument[]; warnings: Warning[] } {
  const list = splitYamlList(text);
  const read = list ? decodeYamlList(text, list, source.firstLine ?? 1) : undefined;
  return read ? { documents: [read], warnings: [] } : decodeYamlDocuments(text, source);
}

/**
 * A List read entry by entry (yaml-list.ts): the List's own keys from its head and tail, each
 * entry alone, paths into `items` sent to the entry's own lines. Undefined when any part does not
 * read cleanly as what the cut promised: the whole text is then read as before, errors and all.
 */
function decodeYamlList(text: string, list: YamlList, first: number): KubeDocument | undefined {
  const { LineCounter, parseDocument } = yaml();
  const parsed = (part: YamlPart): { doc: ReturnType<typeof parseDocument>; counter: InstanceType<typeof LineCounter> } => {
    const counter = new LineCounter();
    return { doc: parseDocument(text.slice(part.start, part.end), { lineCounter: counter, uniqueKeys: false }), counter };
  };
  // A part's syntax tree is let go once its value is read (kept, 10,000 of them were 400 MB);
  // the rare line asked of it (a warning's) parses the part again.
  let lastAsked: { part: YamlPart; tree: Tree } | undefined;
  type Tree = ReturnType<typeof parsed>;
  const partOf = (part: YamlPart, read?: (doc: Tree['doc'], counter: Tree['counter']) => void): { value: unknown; lineOf: (path: Path) => number | undefined } | undefined => {
    const { doc, counter } = parsed(part);
    if (doc.errors.length > 0 || doc.warnings.length > 0) return undefined;
    read?.(doc, counter);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch {
      return undefined; // an alias to an anchor in another part, say: the whole text decides
    }
    const lineOf = (path: Path): number | undefined => {
      if (lastAsked?.part !== part) lastAsked = { part, tree: parsed(part) };
      const line = nodeLine(lastAsked.tree.doc, lastAsked.tree.counter, path);
      return line === undefined ? undefined : line + part.line + first - 2;
    };
    return { value, lineOf };
  };
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const head = partOf(list.head);
  const tail = partOf(list.tail);
  if (!head || !tail || !(isMap(head.value) || head.value === null) || !(isMap(tail.value) || tail.value === null)) return undefined;
  const items: unknown[] = [];
  const itemLines: ((path: Path) => number | undefined)[] = [];
  // Each object's own line is asked for (its source): found while it is parsed, kept as a number.
  const objectLines: (number | undefined)[] = [];
  // Entries are parsed a run at a time (~4 KB): the yaml package's cost per byte grows with the
  // document (10,000 pods: 4.6 s CPU a pod at a time, 5.4 s in 16 KB runs, 6.5 s in 64 KB, 6.4 s
  // whole), and 100,000 one-line entries parsed one by one paid its set-up each time (3.4 s
  // against 2.4 s in 4 KB runs).
  for (const run of runsOf(list.items)) {
    const part: YamlPart = { start: run[0]!.start, end: run[run.length - 1]!.end, line: run[0]!.line };
    const entry = partOf(part, (doc, counter) => {
      for (let k = 0; k < run.length; k++) {
        const line = nodeLine(doc, counter, [k]);
        objectLines.push(line === undefined ? undefined : line + part.line + first - 2);
      }
    });
    if (!entry || !Array.isArray(entry.value) || entry.value.length !== run.length) return undefined;
    for (let k = 0; k < run.length; k++) {
      items.push(entry.value[k]);
      itemLines.push((path) => entry.lineOf([k, ...path]));
    }
  }
  const own = { ...(head.value as Record<string, unknown> | null), ...(tail.value as Record<string, unknown> | null) };
  if ('items' in own) return undefined;
  // Keys in the order the text gives them: the head's, items, the tail's.
  const value = { ...(head.value as Record<string, unknown> | null), items, ...(tail.value as Record<string, unknown> | null) };
  const lineOf = (path: Path): number | undefined => {
    if (path[0] !== 'items') return head.lineOf(path) ?? tail.lineOf(path);
    if (path.length === 1) return list.items[0]!.line + first - 1; // the sequence starts at its first `- `
    const index = path[1] as number;
    if (path.length === 2) return objectLines[index];
    const at = itemLines[index];
    return at === undefined ? undefined : at(path.slice(2));
  };
  return { value, lineOf };
}

/** The 1-based line, within the text `doc` was parsed from, where the node at `path` starts. */
function nodeLine(doc: { getIn(path: Path, keepNode: true): unknown }, counter: { linePos(offset: number): { line: number } }, path: Path): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  return node?.range ? counter.linePos(node.range[0]).line : undefined;
}

const RUN_BYTES = 4096;

/** Consecutive entries grouped until a group reaches RUN_BYTES (a big entry is a group alone). */
function runsOf(items: readonly YamlPart[]): YamlPart[][] {
  const runs: YamlPart[][] = [];
  let run: YamlPart[] = [];
  for (const item of items) {
    run.push(item);
    if (item.end - run[0]!.start >= RUN_BYTES) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function decodeYamlDocuments(text: string, source: DumpSource): { documents: KubeDocument[]; warnings: Warning[] } {
  const first = source.firstLine ?? 1;
  const counter = new (yaml().LineCounter)();
  const warnings: Warning[] = [];
  const documents: KubeDocument[] = [];
  for (const doc of yaml().parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false })) {
    const error = doc.errors[0];
    if (error !== undefined) {
      warnings.push({ file: source.file, line: counter.linePos(error.pos[0]).line + first - 1, message: `YAML: ${error.message.split('\n')[0]}; this document is not read` });
      continue;
    }
    if (doc.contents === null) continue;
    const lineOf = (path: Path): number | undefined => {
      const line = nodeLine(doc, counter, path);
      return line === undefined ? undefined : line + first - 1;
    };
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (error) {
      // kubectl never writes anchors; a hand-made file whose aliases expand past the limit (a
      // "billion laughs") is refused by the yaml package with a ReferenceError: one warning, not a crash.
      if (!(error instanceof ReferenceError)) throw error;
      const line = doc.contents.range ? counter.linePos(doc.contents.range[0]).line + first - 1 : first;
      warnings.push({ file: source.file, line, message: `YAML: ${error.message}; this document is not read` });
      continue;
    }
    documents.push({ value, lineOf });
  }
  return { documents, warnings };
}

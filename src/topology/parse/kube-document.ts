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
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? counter.linePos(node.range[0]).line + first - 1 : undefined;
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

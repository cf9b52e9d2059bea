// A kubectl List in YAML is read entry by entry (parse/yaml-list.ts) where the cut cannot change
// the reading. The oracle is the yaml package reading the whole text as one document: the same
// value, and the same line for every place in it; texts the cut cannot promise that of are read whole.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { decodeKubeDocuments, type Path } from '../../src/topology/parse/kube-document.ts';
import { splitYamlList } from '../../src/topology/parse/yaml-list.ts';

/** Every path into `value`, the root's included. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/** What the yaml package says of the whole text: its value, and a line per path. */
function whole(text: string): { value: unknown; lineOf: (path: Path) => number | undefined } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  return {
    value: doc.toJS(),
    lineOf: (path) => {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? counter.linePos(node.range[0]).line : undefined;
    },
  };
}

// Keys and strings that stress the cut: dashes, colons, quotes, line breaks, '#', leading blanks.
const text = fc.oneof(fc.constantFrom('- x', 'a: b', '"q"', "it's", '#c', '  lead', 'multi\nline\n- not an item', '---', '', 'true', '10', '2026-11-01T10:00:00Z'), fc.string({ maxLength: 12 }));
const leaf = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const object = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
})).value;
const item = fc.record({ kind: fc.constantFrom('Pod', 'Service'), metadata: fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }) }), spec: object });

describe('a kubectl List in YAML, read entry by entry', () => {
  prop.prop([fc.array(item, { minLength: 1, maxLength: 5 }), fc.boolean()])('the same value and lines as the whole text read at once', (items, kindFirst) => {
    // kubectl writes the entries at column 0 (indentSeq false); the List's kind before or after them.
    const list = kindFirst ? { apiVersion: 'v1', kind: 'List', items } : { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
    const yamlText = stringify(list, { indentSeq: false });
    expect(splitYamlList(yamlText)).toBeDefined();
    const oracle = whole(yamlText);
    const { documents, warnings } = decodeKubeDocuments(yamlText, { file: 'f.yaml' });
    expect(warnings).toEqual([]);
    expect(documents).toHaveLength(1);
    expect(documents[0]!.value).toEqual(oracle.value);
    expect(JSON.stringify(Object.keys(documents[0]!.value as object))).toBe(JSON.stringify(Object.keys(oracle.value as object)));
    for (const path of pathsOf(oracle.value)) expect(documents[0]!.lineOf(path), JSON.stringify(path)).toBe(oracle.lineOf(path));
  });

  it('is cut at the entries of a kubectl List only', () => {
    const list = 'apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\n- kind: Pod\n  metadata:\n    name: b\nkind: List\n';
    expect(splitYamlList(list)?.items.map((p) => p.line)).toEqual([3, 6]);
    // Entries indented, a second document, a key quoted or a flow value at column 0: read whole.
    expect(splitYamlList('apiVersion: v1\nitems:\n  - kind: Pod\n')).toBeUndefined();
    expect(splitYamlList(`${list}---\n${list}`)).toBeUndefined();
    expect(splitYamlList(`"apiVersion": v1\nitems:\n- kind: Pod\n`)).toBeUndefined();
    expect(splitYamlList('kind: Pod\nmetadata:\n  name: a\n')).toBeUndefined();
  });

  it('reads a List whose entries share an anchor, a quoted line at column 0, or a broken entry, as the whole text', () => {
    // A cut inside a quoted scalar leaves a part that does not read cleanly: the whole text decides.
    const quoted = 'apiVersion: v1\nitems:\n- kind: Pod\n  note: "a\n- b"\nkind: List\n';
    expect(splitYamlList(quoted)).toBeDefined();
    const oracle = whole(quoted);
    const read = decodeKubeDocuments(quoted, { file: 'f' });
    if (read.documents.length > 0) expect(read.documents[0]!.value).toEqual(oracle.value);
    else expect(read.warnings[0]!.message).toMatch(/^YAML: /);
    const shared = 'apiVersion: v1\nitems:\n- &pod\n  kind: Pod\n  metadata:\n    name: a\n- *pod\nkind: List\n';
    expect(decodeKubeDocuments(shared, { file: 'f' }).documents[0]!.value).toEqual(whole(shared).value);
    const broken = 'apiVersion: v1\nitems:\n- kind: Pod\n  metadata: [\n- kind: Pod\nkind: List\n';
    const brokenRead = decodeKubeDocuments(broken, { file: 'f', firstLine: 10 });
    expect(brokenRead.documents).toEqual([]);
    expect(brokenRead.warnings).toHaveLength(1);
    expect(brokenRead.warnings[0]!.message).toMatch(/^YAML: .*; this document is not read$/);
  });
});

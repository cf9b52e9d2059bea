// Several commands' outputs pasted into one file with no prompt or command line between them,
// only blank lines: `ip route`, a blank line, `ip addr`, a blank line, `bridge fdb`. People paste
// a session's outputs that way into an issue, and a thread's code blocks are joined so. Read as
// one dump, recognised by its first lines, every line of the other outputs was a warning.
//
// Each block between blank lines is recognised by its own content. A block that starts another
// kind of dump starts a new one; any other block (nothing recognised, or the same kind again)
// continues the dump before it, because some outputs hold blank lines of their own (`ipset list`
// between its sets, YAML anywhere). Structured text (JSON, kubectl YAML) is never cut: its blank
// lines are its own.
import type { DumpKind } from './dump.ts';
import { recogniseContent } from './recognise.ts';

/** Kinds read as a whole document: a blank line inside is part of it, never the start of another dump. */
const WHOLE_DOCUMENTS = new Set<DumpKind>(['kubectl-objects', 'kubectl-networkpolicy', 'addr-json', 'route-json', 'neigh-json', 'fdb-json', 'nft-json']);

const BLOCK_HEAD_LINES = 40;
/**
 * Blocks looked at, at most: a paste of a session has a handful, and a text of a million
 * blank-separated lines would otherwise be recognised a million times. The rest of the text
 * goes with the dump it is in.
 */
const MAX_BLOCKS = 1000;

/** Whether some line after the first is empty or blanks only; by hand: a regex took 7 ms on a 12 MB dump. */
function hasBlankLine(text: string): boolean {
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', newline + 1)) {
    let i = newline + 1;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09) c = text.charCodeAt(++i);
    if (c === 0x0d) c = text.charCodeAt(++i);
    if (c === 0x0a) return true;
  }
  return false;
}

export interface GluedDump {
  kind: DumpKind;
  text: string;
  /** 1-based line of the dump's first line in the text. */
  firstLine: number;
}

/**
 * The dumps of a prompt-less text made of several kinds of output separated by blank lines, in
 * order; undefined when the text holds one kind only (or is a whole document), which is then
 * read as one dump as before.
 */
export function splitGluedDumps(text: string): GluedDump[] | undefined {
  // Most dumps have no blank line at all (a 12 MB iptables-save): they are not split into lines to learn so.
  if (!hasBlankLine(text)) return undefined;
  const lines = text.split('\n');
  const dumps: GluedDump[] = [];
  let start = 0;
  let current: DumpKind | undefined;
  const close = (end: number): void => {
    if (current !== undefined) dumps.push({ kind: current, text: lines.slice(start, end).join('\n'), firstLine: start + 1 });
  };
  for (let i = 0, blocks = 0; i < lines.length && blocks < MAX_BLOCKS; blocks++) {
    // A block: its lines up to the next blank one.
    let end = i;
    while (end < lines.length && lines[end]!.trim() !== '') end++;
    if (end > i) {
      // A block's first lines say what it is (recogniseContent reads the head only).
      const kind = recogniseContent(lines.slice(i, Math.min(end, i + BLOCK_HEAD_LINES)).join('\n'));
      if (current === undefined) {
        if (kind !== undefined && WHOLE_DOCUMENTS.has(kind)) return undefined;
        current = kind; // the unrecognised blocks before the first recognised one go with it
      } else if (kind !== undefined && kind !== current && !WHOLE_DOCUMENTS.has(current)) {
        close(i);
        start = i;
        current = kind;
      }
    }
    i = end + 1;
  }
  close(lines.length);
  return dumps.length > 1 ? dumps : undefined;
}

/**
 * A command's output under a prompt with another kind of output glued after it by a blank line
 * (a thread's next code block, its command line lost: `$ kubectl get pods -A -o wide`, its table,
 * a blank line, then a node's `ip addr`). `kind` is what the command printed; the blocks up to
 * the first one that starts another kind stay with it, and from there on each kind is a dump of
 * its own, as in a prompt-less paste. Undefined when nothing is cut (most outputs: one kind, or no
 * blank line at all), and never for a whole document (JSON, YAML), whose blank lines are its own.
 */
export function splitGluedOutput(output: string, kind: DumpKind): { head: string; rest: GluedDump[] } | undefined {
  if (WHOLE_DOCUMENTS.has(kind)) return undefined;
  const parts = splitGluedDumps(output);
  if (parts === undefined) return undefined;
  // The first part is the command's own output whatever its lines look like; a following part of
  // the command's kind is more of it (splitGluedDumps cut there only because the first looked otherwise).
  let cut = 1;
  while (cut < parts.length && parts[cut]!.kind === kind) cut++;
  if (cut === parts.length) return undefined;
  // The parts are the output's lines end to end (the first from line 1): the head is the ones before the cut.
  return { head: parts.slice(0, cut).map((part) => part.text).join('\n'), rest: parts.slice(cut) };
}

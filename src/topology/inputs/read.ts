// Turns what the user gave (bundle directories, loose files, pasted
// transcripts) into DumpTexts: one command's output each, with the namespace
// it belongs to when the input says so. Nothing is parsed here.
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { PodpathError } from '../../errors.ts';
import { readBoundedInput } from '../../util/bounded-read.ts';
import type { Warning } from '../model.ts';
import { readCommand } from './command.ts';
import type { DumpKind, DumpText } from './dump.ts';
import { recogniseContent, recogniseUnread } from './recognise.ts';
import { type GluedDump, splitGluedDumps, splitGluedOutput } from './glued.ts';
import { endsShell, nsenterTarget, readShellEntry } from './shell.ts';
import { hasPrompts, splitTranscript } from './transcript.ts';
import { appendAll } from '../../util/append.ts';

export interface ReadInputsResult {
  dumps: DumpText[];
  warnings: Warning[];
}

export interface ReadOptions {
  node?: string;
}

/** A file that is not text: NUL bytes or mostly control/invalid bytes in its first 8 KiB. */
export function isBinary(buffer: Buffer): boolean {
  const head = buffer.subarray(0, 8192);
  if (head.includes(0)) return true;
  const text = head.toString('utf8');
  let odd = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code === 0xfffd || (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12)) odd++;
  }
  return text.length > 0 && odd / text.length > 0.1;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

export async function readInputs(inputs: string[], options: ReadOptions): Promise<ReadInputsResult> {
  const result: ReadInputsResult = { dumps: [], warnings: [] };
  for (const input of inputs) {
    if (input === '-') {
      // A transcript pasted into the terminal: `podpath topology -`, then paste, then Ctrl-D.
      const text = await readText('-', '<stdin>', result);
      if (text !== undefined) readFileText(text, '<stdin>', undefined, undefined, options, result);
      continue;
    }
    const stat = statSync(input);
    if (stat.isDirectory()) await readBundle(input, options, result);
    else await readLooseFile(input, options, result);
  }
  return result;
}

/** A file's bytes through the one bounded reader; a binary file stops after its first chunk. */
async function readBytes(path: string, file: string): Promise<Buffer> {
  return (await readBoundedInput(path, { name: file, stopAfterFirst: isBinary })).bytes;
}

/** Reads a file as text, or notes why not. */
async function readText(path: string, file: string, result: ReadInputsResult, quietEmpty = false): Promise<string | undefined> {
  return textOf(await readBytes(path, file), file, result, quietEmpty);
}

/**
 * readText for one file of a bundle: a file that cannot be read (permission denied, gone since
 * the listing) is a warning and the rest of the bundle is still read. An input past the size
 * cap still ends the run: it is unusable as given, whichever file it is.
 */
async function readBundleText(path: string, result: ReadInputsResult, quietEmpty = false): Promise<string | undefined> {
  const file = displayPath(path);
  try {
    return await readText(path, file, result, quietEmpty);
  } catch (error) {
    if (error instanceof PodpathError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    result.warnings.push({ file, message: `${CANNOT_READ} (${UNREADABLE[code] ?? code}); skipped, the rest of the bundle is read` });
    return undefined;
  }
}

const CANNOT_READ = 'cannot be read';

const UNREADABLE: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such file any more',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
};

/** A dump's bytes as text: empty, binary and cut-off files are noted. */
function textOf(buffer: Buffer, file: string, result: ReadInputsResult, quietEmpty = false): string | undefined {
  if (buffer.length <= 4096 && buffer.toString('utf8').trim() === '') {
    // In a bundle an empty file is an empty table (no neighbours yet); named on its own it is a mistake.
    if (!quietEmpty) result.warnings.push({ file, message: 'empty file, nothing to read' });
    return undefined;
  }
  if (isBinary(buffer)) {
    result.warnings.push({ file, message: 'binary file (not a text dump), skipped' });
    return undefined;
  }
  const text = withoutCommonIndent(buffer.toString('utf8').replace(/\r\n/g, '\n'));
  // Every command ends its output with a newline; a file that does not was cut off.
  if (!text.endsWith('\n')) {
    const lines = text.split('\n');
    result.warnings.push({ file, line: lines.length, message: 'file ends mid-line (truncated?); its last line may be incomplete', text: (lines[lines.length - 1] ?? '').slice(0, 120) });
  }
  return text;
}

/**
 * A paste indented as a whole (a markdown code block in a list: every line starts with four or six
 * blanks) loses the shared indent; no dump format indents every one of its lines, so the indent
 * inside (ip addr's detail lines, ECMP `nexthop` lines, brctl's port lines) is kept as it was.
 */
export function withoutCommonIndent(text: string): string {
  // Most dumps are not indented: their first line with content starts at its first column, and
  // splitting a 150,000-line iptables-save into lines to learn so was ~20 ms of garbage.
  for (let at = 0; at < text.length; ) {
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline;
    if (text.slice(at, end).trim() !== '') {
      const first = text.charCodeAt(at);
      if (first !== 0x20 && first !== 0x09) return text;
      break;
    }
    at = end + 1;
  }
  const lines = text.split('\n');
  let common: string | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0];
    if (common === undefined || !indent.startsWith(common)) {
      let k = 0;
      const base = common ?? indent;
      while (k < base.length && k < indent.length && base[k] === indent[k]) k++;
      common = base.slice(0, k);
    }
    if (common === '') return text;
  }
  if (!common) return text;
  const width = common.length;
  return lines.map((line) => (line.trim() === '' ? line : line.slice(width))).join('\n');
}

async function readLooseFile(path: string, options: ReadOptions, result: ReadInputsResult): Promise<void> {
  const before = result.warnings.length;
  const text = await readText(path, displayPath(path), result);
  if (text === undefined) return;
  const file = displayPath(path);
  if (!readFileText(text, file, undefined, undefined, options, result)) {
    // A file podpath does not read is not "truncated": the warning that names its format says enough.
    const kept = result.warnings.filter((w, i) => i < before || !(w.file === file && w.message.startsWith('file ends mid-line')));
    result.warnings.length = 0;
    for (const w of kept) result.warnings.push(w);
  }
}

/**
 * One file's text: a transcript if it holds prompts, else the outputs of several commands glued
 * by blank lines (glued.ts), else one dump recognised by content.
 */
function readFileText(text: string, file: string, host: string | undefined, hostKind: 'node' | 'pod' | undefined, options: ReadOptions, result: ReadInputsResult): boolean {
  if (hasPrompts(text)) return readTranscript(text, file, host, options, result);
  const glued = splitGluedDumps(text);
  if (glued !== undefined) return readGluedDumps(glued, file, host, hostKind, options, result);
  const kind = recogniseContent(text);
  const unread = kind === undefined ? recogniseUnread(text) : undefined;
  if (unread !== undefined) {
    result.warnings.push({ file, line: 1, message: `looks like ${unread}`, text: text.split('\n', 1)[0]!.slice(0, 120) });
    return false;
  }
  if (!kind) {
    result.warnings.push({
      file,
      line: 1,
      message:
        'not recognised: expected the output of ip addr/link/route/rule/neigh (also -6, -br), route -n, netstat -rn, bridge fdb, brctl show, iptables-save, iptables -S, nft list ruleset, ipset list, ipvsadm -Ln, kubectl get pods/svc/nodes/ns (tables, -o json, -o yaml), or a transcript with prompts',
      text: text.split('\n', 1)[0]!.slice(0, 120),
    });
    return false;
  }
  const dump: DumpText = { kind, text, file, firstLine: 1, partial: false };
  const owner = host ?? options.node;
  if (owner !== undefined) {
    dump.host = owner;
    dump.hostEvidence = host !== undefined ? (hostKind === 'pod' ? 'bundle-pod' : 'bundle-node') : 'option';
  }
  if (hostKind) dump.hostKind = hostKind;
  if (owner === undefined && !CLUSTER_TABLES.has(kind)) {
    result.warnings.push({ file, line: 1, message: `${kind} dump with no node name: pass --node NAME (or paste it with its prompt, like root@worker-1:~# ip addr)` });
    return false;
  }
  result.dumps.push(dump);
  return true;
}

/** Each output of a glued paste, as its own dump of the file's owner; one warning says how the file was cut. */
function readGluedDumps(glued: readonly GluedDump[], file: string, host: string | undefined, hostKind: 'node' | 'pod' | undefined, options: ReadOptions, result: ReadInputsResult): boolean {
  const owner = host ?? options.node;
  const unowned = glued.filter((part) => !CLUSTER_TABLES.has(part.kind));
  if (owner === undefined && unowned.length > 0) {
    result.warnings.push({ file, line: unowned[0]!.firstLine, message: `${unowned.map((part) => part.kind).join(', ')} dumps with no node name: pass --node NAME (or paste them with their prompts, like root@worker-1:~# ip addr)` });
    if (unowned.length === glued.length) return false;
  }
  result.warnings.push({
    file,
    line: glued[0]!.firstLine,
    message: `no prompts or command lines: read as ${glued.length} outputs pasted one after another, cut at the blank lines where another kind of output starts: ${glued.map((part) => `${part.kind} (line ${part.firstLine})`).join(', ')}`,
  });
  pushGluedParts(glued, 0, file, owner, host !== undefined ? (hostKind === 'pod' ? 'bundle-pod' : 'bundle-node') : 'option', hostKind, result);
  return true;
}

/**
 * The outputs glued after a command's own by blank lines (glued.ts splitGluedOutput): each is a
 * dump of the section's owner (nothing in the paste names another), with one warning naming the cuts.
 */
function readGluedOutput(parts: readonly GluedDump[], promptLine: number, owner: string | undefined, evidence: DumpText['hostEvidence'], file: string, result: ReadInputsResult): boolean {
  // A part's firstLine counts from the output's first line, which is the prompt's line.
  const lineOf = (part: GluedDump) => promptLine + part.firstLine - 1;
  result.warnings.push({
    file,
    line: lineOf(parts[0]!),
    message: `after a blank line, another kind of output with no command line: read as ${parts.length} more dump(s) of ${owner ?? 'no node (pass --node NAME)'}: ${parts.map((part) => `${part.kind} (line ${lineOf(part)})`).join(', ')}`,
  });
  return pushGluedParts(parts, promptLine - 1, file, owner, evidence, undefined, result);
}

/**
 * The glued parts as dumps of `owner` (kubectl's cluster tables of no one), their lines moved by
 * `lineOffset`; a part that needs an owner is left out without one. Whether any dump was added.
 */
function pushGluedParts(
  parts: readonly GluedDump[],
  lineOffset: number,
  file: string,
  owner: string | undefined,
  evidence: DumpText['hostEvidence'],
  hostKind: 'node' | 'pod' | undefined,
  result: ReadInputsResult,
): boolean {
  let found = false;
  for (const part of parts) {
    const dump: DumpText = { kind: part.kind, text: part.text, file, firstLine: part.firstLine + lineOffset, partial: false };
    if (!CLUSTER_TABLES.has(part.kind)) {
      if (owner === undefined) continue;
      dump.host = owner;
      if (evidence !== undefined) dump.hostEvidence = evidence;
      if (hostKind) dump.hostKind = hostKind;
    }
    result.dumps.push(dump);
    found = true;
  }
  return found;
}

interface EnteredShell {
  name: string;
  hostKind?: 'node' | 'pod';
  /** The host the first prompt inside the shell showed ('' for none). */
  prompt?: string;
}

/** kubectl's cluster-wide tables: whichever machine ran kubectl does not matter. */
const CLUSTER_TABLES = new Set<DumpKind>(['kubectl-pods', 'kubectl-svc', 'kubectl-nodes', 'kubectl-networkpolicy', 'kubectl-objects', 'kubectl-namespaces']);

/** Tools whose other outputs are near misses worth a warning (`ip route get`, `iptables -L`, `route add`). */
const NEAR_MISS_TOOLS = new Set(['ip', 'bridge', 'brctl', 'iptables', 'ip6tables', 'iptables-legacy', 'iptables-nft', 'route', 'netstat']);

export function readTranscript(text: string, file: string, host: string | undefined, options: ReadOptions, result: ReadInputsResult): boolean {
  const sections = splitTranscript(text);
  let found = false;
  const hostless: number[] = [];
  /** Shells a switch started (`nsenter -t PID -n`, `kubectl exec -it POD -- sh` …), innermost last. */
  const entered: EnteredShell[] = [];
  for (const section of sections) {
    const words = section.commandLine.trim().split(/\s+/).filter((w) => w.length > 0);
    const inside = entered[entered.length - 1];
    if (inside) {
      if (endsShell(words)) {
        entered.pop();
        continue;
      }
      // The first prompt inside is the shell's own; when a later prompt differs from it, the shell was left.
      if (!section.bare) {
        if (inside.prompt === undefined) inside.prompt = section.host ?? '';
        else if ((section.host ?? '') !== inside.prompt) entered.length = 0;
      }
    }
    const shell = readShellEntry(words);
    if (shell) {
      const name = shell.name ?? `nsenter-line-${section.line}`;
      if (shell.name === undefined) {
        result.warnings.push({ file, line: section.line, message: `\`${shell.text.slice(0, 80)}\` enters a namespace it does not name: what follows up to \`exit\` is read as ${name}`, text: shell.text.slice(0, 120) });
      }
      entered.push(shell.hostKind ? { name, hostKind: shell.hostKind } : { name });
      continue;
    }
    const within = entered[entered.length - 1];
    const command = readCommand(words);
    let output = `${words.slice(command.length).join(' ')}\n${section.following}`;
    let kind = command.kind;
    // A dump tool's other output (`ip route get`, `ip netconf`) is a near miss: say so and skip it.
    if (!kind && command.skip && command.text.split(' ').some((w) => NEAR_MISS_TOOLS.has(w))) {
      result.warnings.push({ file, line: section.line, message: `skipped: ${command.skip}`, text: command.text.slice(0, 120) });
      continue;
    }
    // Other commands (`cat ip-addr.txt`, `ssh node ip a`) may still print a dump: the content decides.
    kind ??= recogniseContent(output);
    if (!kind) {
      const unread = recogniseUnread(output);
      if (unread !== undefined) result.warnings.push({ file, line: section.line, message: `skipped: looks like ${unread}`, text: command.text.slice(0, 120) });
      continue;
    }
    // `nsenter … ip a` from a node's prompt shows another namespace: give it a name of its own;
    // the veth match (or its routes) then tells pod from node.
    const nsenter = command.enteredUnknown ? (nsenterTarget(words.slice(words.indexOf('nsenter'))).name ?? `nsenter-line-${section.line}`) : undefined;
    // A wrapper on the command itself names its namespace; else the shell a switch started; else the prompt.
    // A wrapper whose target is a shell expansion ran somewhere the paste does not name: not the
    // prompt's host. A node's dump is --node's; a pod's cannot be tied to any pod, so it is skipped.
    if (command.unnamedTarget !== undefined && (command.hostKind === 'pod' || options.node === undefined)) {
      const what = command.hostKind === 'pod' ? 'pod' : 'node';
      result.warnings.push({
        file,
        line: section.line,
        message: `skipped: \`${command.text.slice(0, 80)}\` names its ${what} by the shell expansion ${command.unnamedTarget}, which the paste does not spell${what === 'node' ? ': pass --node NAME' : ''}`,
        text: command.text.slice(0, 120),
      });
      continue;
    }
    const owner = command.unnamedTarget !== undefined ? options.node : nsenter ?? command.host ?? within?.name ?? section.host ?? host ?? options.node;
    // Another kind of output glued on by a blank line is not this command's: its blocks are dumps of their own.
    const glued = splitGluedOutput(output, kind);
    if (glued !== undefined) {
      output = glued.head;
      // Its owner is the prompt's machine (else --node), never a wrapper's target: `kubectl exec POD -- ip a` printed only the first.
      const gluedOwner = section.host ?? host ?? options.node;
      const evidence = section.host !== undefined ? 'prompt' : host !== undefined ? 'bundle-node' : 'option';
      if (readGluedOutput(glued.rest, section.line, gluedOwner, evidence, file, result)) found = true;
    }
    if (CLUSTER_TABLES.has(kind)) {
      // Cluster-wide tables: whichever machine ran kubectl does not matter.
      result.dumps.push({ kind, text: output, file, firstLine: section.line, partial: false, command: command.text });
      found = true;
      continue;
    }
    if (owner === undefined) {
      hostless.push(section.line);
      continue;
    }
    const dump: DumpText = { kind, text: output, file, firstLine: section.line, partial: command.partial, command: command.text };
    dump.host = owner;
    const byExec = command.host !== undefined || nsenter !== undefined || within !== undefined;
    dump.hostEvidence = command.unnamedTarget !== undefined ? 'option' : byExec ? 'exec' : section.host !== undefined ? 'prompt' : host !== undefined ? 'bundle-node' : 'option';
    const hostKind = command.hostKind ?? (nsenter === undefined && command.host === undefined ? within?.hostKind : undefined);
    if (hostKind) dump.hostKind = hostKind;
    if (command.defaultDev !== undefined) dump.defaultDev = command.defaultDev;
    if (command.procPath !== undefined) dump.procPath = command.procPath;
    if (command.family !== undefined) dump.family = command.family;
    if (command.table !== undefined) dump.table = command.table;
    result.dumps.push(dump);
    found = true;
  }
  if (hostless.length > 0) {
    result.warnings.push({
      file,
      line: hostless[0]!,
      message: `${hostless.length} dump(s) under a prompt that names no host (like \`$ ip a\`): pass --node NAME to say which node they came from`,
    });
  }
  if (sections.length === 0) {
    result.warnings.push({ file, line: 1, message: 'no prompts found (expected lines like `root@worker-1:~# ip addr`)' });
  }
  return found;
}

/**
 * `<bundle>/<node>/<file>` and `<bundle>/<node>/pods/<pod>/<file>`. Every
 * subdirectory holding recognised dumps is a node; others (captures/) are
 * skipped. Top-level files only count as kubectl naming tables. A directory
 * with dumps directly inside is one node's folder.
 */
async function readBundle(dir: string, options: ReadOptions, result: ReadInputsResult): Promise<void> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  let nodes = 0;
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const sub = join(dir, entry.name);
    const scratch: ReadInputsResult = { dumps: [], warnings: [] };
    await readNodeFolder(sub, entry.name, options, scratch);
    if (scratch.dumps.some((d) => d.hostKind !== 'pod')) {
      appendAll(result.dumps, scratch.dumps);
      appendAll(result.warnings, scratch.warnings);
      nodes++;
    }
  }
  // Top-level files: kubectl naming tables count; transcripts and records are not node dumps.
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    // Notes on other top-level files (a README, an archive) are not the bundle's business;
    // one that cannot be read might be a kubectl table, so that is said.
    const scratch: ReadInputsResult = { dumps: [], warnings: [] };
    const text = await readBundleText(path, scratch, true);
    const kind = text === undefined ? undefined : recogniseContent(text);
    if (text !== undefined && kind !== undefined && CLUSTER_TABLES.has(kind)) {
      result.dumps.push({ kind, text, file: displayPath(path), firstLine: 1, partial: false });
      appendAll(result.warnings, scratch.warnings);
    } else {
      appendAll(result.warnings, scratch.warnings.filter((w) => w.message.startsWith(CANNOT_READ)));
    }
  }
  if (nodes === 0) {
    // Maybe the folder is one node's own dumps.
    const scratch: ReadInputsResult = { dumps: [], warnings: [] };
    await readNodeFolder(dir, options.node ?? basename(dir), options, scratch);
    if (scratch.dumps.length > 0) {
      appendAll(result.dumps, scratch.dumps);
      appendAll(result.warnings, scratch.warnings);
    } else {
      result.warnings.push({ file: displayPath(dir), message: 'no node dumps found: expected <dir>/<node>/<dump files> (ip addr, ip route, …) or dump files directly inside' });
    }
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A node's folder: its own dump files and `pods/<pod>/` folders. */
async function readNodeFolder(dir: string, node: string, options: ReadOptions, result: ReadInputsResult): Promise<void> {
  await readNodeDir(dir, node, 'node', options, result);
  const podsDir = join(dir, 'pods');
  if (!isDir(podsDir)) return;
  for (const pod of readdirSync(podsDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (pod.isDirectory()) await readNodeDir(join(podsDir, pod.name), pod.name, 'pod', options, result, node);
  }
}

/** Files directly in one node's (or pod's) folder, each recognised by content. */
async function readNodeDir(dir: string, name: string, kind: 'node' | 'pod', options: ReadOptions, result: ReadInputsResult, parentNode?: string): Promise<void> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const text = await readBundleText(path, result, true);
    if (text === undefined) continue;
    const before = result.dumps.length;
    readFileText(text, displayPath(path), name, kind, options, result);
    for (const dump of result.dumps.slice(before)) {
      if (kind === 'pod') {
        dump.hostKind = 'pod';
        dump.hostEvidence = 'bundle-pod';
        if (parentNode !== undefined) dump.podNode = parentNode;
      }
    }
  }
}

// Splits a pasted terminal session into commands and their output, at the
// prompts. Prompt shapes seen in real pastes:
//
//   root@worker-1:~# ip addr            [root@k8s-node1 ~]# ip r
//   root@worker-2(10.74.107.62):/ $ ip r   (worker-1) $ ip a    (worker-1)$> ip l
//   (pod1) # ip a     (pod1)/ # ip r    (pod1) / # ip addr     worker-1$ ip a
//   $ ip a   bash-5.0# ip route   -bash-4.2$ /sbin/ip a   ***@***.***:~$ ip r   (no host: `--node` decides)
//
// Pastes flattened onto one line carry prompts mid-line ("… forever (worker-1)$
// brctl show bridge name …"), so prompts are also looked for inside a line,
// but only the explicit `user@host` / `[user@host]` / `(host)` shapes followed
// by a command we know, to keep prose like "(see above) $5" from splitting.
import { KNOWN_COMMANDS, toolName } from './command.ts';
import { appendAll } from '../../util/append.ts';

export interface PromptHit {
  /** Host or pod name the prompt shows, if any. */
  host?: string;
  /** 1-based line of the prompt. */
  line: number;
  /** Column where the prompt starts and where the command starts. */
  start: number;
  commandStart: number;
  /** A command line with no prompt at all (the write-up dropped it). */
  bare?: boolean;
}

export interface TranscriptSection {
  host?: string;
  /** Words from the command on: the command and (flattened) its output. */
  commandLine: string;
  /** Text after the prompt line, up to the next prompt. */
  following: string;
  line: number;
  /** No prompt: the host is unknown even if earlier prompts named one. */
  bare?: boolean;
}

const NAME = String.raw`[A-Za-z0-9][\w.-]*`;
/** A line may open with a markdown backtick the write-up left unclosed (`` `[user@host ~]$ ipset list ``). */
const MARKDOWN_OPENING = '`?';
// user@host[(addr)]:path then `#`/`$` or, when a known command follows, nothing.
const USER_AT_HOST = new RegExp(String.raw`(?:^${MARKDOWN_OPENING}|(?<=\s))[\w.-]+@(${NAME})(?:\([^)\s]*\))?:[^\s#$>]*\s*(?:[#$]>?\s*|(?=\s*\S))`, 'g');
// The text between `[user@host` and `]` stops at the next `[` and is bounded: with `[^\]]*` a
// line of many `[a@b ` and no `]` was scanned to its end from every `[` (300 KB took 21 s).
const BRACKETED = new RegExp(String.raw`(?:^${MARKDOWN_OPENING}|(?<=\s))\[[\w.-]+@(${NAME})[^\][]{0,256}\]\s*[#$]>?\s*`, 'g');
const PARENS = new RegExp(String.raw`(?:^${MARKDOWN_OPENING}|(?<=\s))\((${NAME})\)\s*(?:[/~][^\s#$]*\s*)?[#$]>?\s*`, 'g');
const LINE_HOST = new RegExp(String.raw`^(${NAME})(?::[~/][^\s#$]*)?\s?[#$]>?\s+`);
/** `$ ip a`, `# ip a`, and the `❯` of zsh's pure and starship's default prompt (cilium/cilium#12113). */
const LINE_BARE = /^(?:[#$]>?|❯)\s*/;
/** oh-my-zsh's default theme (robbyrussell): `➜  ~ k get pods`, `➜  repo git:(main) ✗ ip r` (flannel-io/flannel#1243). */
const LINE_ZSH_ARROW = /^➜\s+\S+(?:\s+git:\([^)\s]*\)(?:\s+✗)?)?\s+/;
/** bash's default prompt when no rc file set PS1 (`bash-5.0#`), and a login shell's (`-bash-4.2$`): no host. */
const LINE_SHELL = /^-?(?:bash|sh|ash|zsh|dash)(?:-[\d.]+)?[#$]\s+/;
/**
 * Gentoo's default PS1 `\\h \\W \\$` (`kube-master kubernetes # netstat -rn`), and grml-zsh's
 * `\\u@\\h \\W \\$` as Hetzner's rescue and installimage systems show it (`root@host3 ~ # ip neighbor`),
 * and k3OS's `\\h [\\W]\\$` with the directory in brackets (`k3os-4241 [~]$ ip a`).
 */
const LINE_HOST_DIR = new RegExp(String.raw`^(?:[\w.-]+@)?(${NAME}) (?:(?:~|[\w.~/-]{1,100}) [#$]|\[(?:~|[\w.~/-]{1,100})\][#$]) `);
/**
 * A comment sent by e-mail reply: GitHub masks every address-like `user@host` as `***@***.***`,
 * so the prompt `***@***.***:~$ sudo bridge fdb show` keeps its shape but not its host.
 */
const LINE_MASKED = /^\*{3}@\*{3}(?:\.\*{3})*:[^\s#$]*\s?[#$]\s+/;
/** busybox and alpine shells in pods: `/ # ip a`, `~ $ ip r`, `/app # ip r` (no host). */
const LINE_PATH = /^[/~][^\s#$]{0,200}\s?[#$]\s+/;

/** Shell names that look like hosts in a prompt (`bash-5.0#`) but are not. */
const SHELL = /^(?:bash|sh|ash|zsh|dash)(?:-[\d.]+)?$/;

function firstWord(text: string): string {
  return /^\S+/.exec(text)?.[0] ?? '';
}

function knownCommand(rest: string): boolean {
  const word = firstWord(rest);
  return KNOWN_COMMANDS.has(toolName(word) ?? '') || /^[A-Z_][A-Z0-9_]*=\S*$/.test(word);
}

/**
 * Every prompt shape above holds a `#`, a `$`, a `❯`, a `➜` or the `@` of `user@host`: a line with none of
 * them is not looked at further (hasPrompts reads 5,000 lines of every dump, most of them rules).
 */
const PROMPT_MARK = /[#$@❯➜]/;

/**
 * A prompt's colours, as a terminal sends them (ESC [ … m) or as a PS1 that never had them
 * interpreted prints them (`\033[38;5;4m`, `\e[0m`, kubeovn/kube-ovn#3136's kube-ps1 part).
 */
const COLOUR_CODE = /(?:\x1b|\\(?:033|e|x1[bB]|u001[bB]))\[[0-9;]*m/g;

/**
 * Prompts on one line, in order. Colour codes are taken out before the shapes are matched (they sit
 * between `user`, `@`, the host and the sigil), and each hit's columns are those of the line as given.
 */
export function promptsInLine(raw: string, line: number): PromptHit[] {
  if (!PROMPT_MARK.test(raw)) return [];
  if (!raw.includes('[')) return promptsInPlainLine(raw, line);
  // Where each character of the line without its codes is in the line.
  const at: number[] = [];
  let plain = '';
  let from = 0;
  for (const code of raw.matchAll(COLOUR_CODE)) {
    for (let k = from; k < code.index; k++) at.push(k);
    plain += raw.slice(from, code.index);
    from = code.index + code[0].length;
  }
  if (from === 0) return promptsInPlainLine(raw, line);
  for (let k = from; k < raw.length; k++) at.push(k);
  plain += raw.slice(from);
  const column = (k: number): number => (k < at.length ? at[k]! : raw.length);
  return promptsInPlainLine(plain, line).map((hit) => ({ ...hit, start: column(hit.start), commandStart: column(hit.commandStart) }));
}

function promptsInPlainLine(text: string, line: number): PromptHit[] {
  const hits: PromptHit[] = [];
  for (const pattern of [USER_AT_HOST, BRACKETED, PARENS]) {
    pattern.lastIndex = 0;
    for (const m of text.matchAll(pattern)) {
      const start = m.index;
      const commandStart = start + m[0].length;
      const rest = text.slice(commandStart);
      const sigil = /[#$]>?\s*$/.test(m[0]);
      // At the start of a line an explicit prompt is enough; inside a line (or
      // without a sigil) the command must be one we know.
      // After a markdown backtick (`` `(optional) $HOME is… ``) only a command we know makes it one.
      const quoted = m[0].startsWith('`');
      if ((quoted || !(start === 0 && sigil && rest.trim() !== '')) && !knownCommand(rest)) continue;
      const hit: PromptHit = { line, start, commandStart };
      if (m[1] !== undefined) hit.host = m[1];
      hits.push(hit);
    }
  }
  if (!hits.some((h) => h.start === 0)) {
    const hostMatch = LINE_HOST.exec(text);
    const bare = LINE_BARE.exec(text);
    if (hostMatch && knownCommand(text.slice(hostMatch[0].length))) {
      const hit: PromptHit = { line, start: 0, commandStart: hostMatch[0].length };
      if (!SHELL.test(hostMatch[1]!)) hit.host = hostMatch[1]!;
      hits.push(hit);
    } else if (bare && knownCommand(text.slice(bare[0].length))) {
      hits.push({ line, start: 0, commandStart: bare[0].length });
    } else if (LINE_ZSH_ARROW.test(text) && knownCommand(text.slice(LINE_ZSH_ARROW.exec(text)![0].length))) {
      hits.push({ line, start: 0, commandStart: LINE_ZSH_ARROW.exec(text)![0].length });
    } else if (LINE_SHELL.test(text) && knownCommand(text.slice(LINE_SHELL.exec(text)![0].length))) {
      hits.push({ line, start: 0, commandStart: LINE_SHELL.exec(text)![0].length });
    } else if (LINE_MASKED.test(text) && knownCommand(text.slice(LINE_MASKED.exec(text)![0].length))) {
      hits.push({ line, start: 0, commandStart: LINE_MASKED.exec(text)![0].length });
    } else {
      const path = LINE_PATH.exec(text);
      const hostDir = LINE_HOST_DIR.exec(text);
      if (path && knownCommand(text.slice(path[0].length))) hits.push({ line, start: 0, commandStart: path[0].length });
      else if (hostDir && knownCommand(text.slice(hostDir[0].length)) && !SHELL.test(hostDir[1]!)) hits.push({ line, start: 0, commandStart: hostDir[0].length, host: hostDir[1]! });
    }
  }
  hits.sort((a, b) => a.start - b.start);
  // Overlapping matches of different shapes: keep the first.
  return hits.filter((hit, i) => i === 0 || hit.start >= hits[i - 1]!.commandStart);
}

/**
 * Write-ups often drop the prompt: an unindented line that starts like a
 * command (`iptables -t nat -vnL`, `kubectl exec …`, `X=$(kubectl …)`) ends the
 * previous command's output. Only tools whose output never starts a line
 * with their own name count, and only after a real prompt was seen.
 */
const BARE_TOOLS = new Set([
  'ip', 'bridge', 'brctl', 'iptables', 'ip6tables', 'iptables-save', 'ip6tables-save', 'iptables-legacy-save', 'iptables-nft-save',
  'kubectl', 'kctl', 'docker', 'crictl', 'nerdctl', 'nsenter', 'sudo', 'ss', 'tcpdump', 'ipset', 'conntrack', 'sysctl', 'ping',
  'curl', 'calicoctl', 'gobgp', 'xtables-monitor', 'nft', 'ipvsadm', 'route', 'netstat',
]);

function bareCommand(line: string): boolean {
  if (/^\s/.test(line)) return false;
  const words = line.split(/\s+/);
  const tool = words[0] ?? '';
  const next = words[1] ?? '';
  if (/^[A-Z_][A-Z0-9_]*=\$\(/.test(tool)) return true;
  if (!BARE_TOOLS.has(tool) || next === '') return false;
  if (tool === 'ip') return next.startsWith('-') || /^(a|ad|addr|address|l|li|link|r|ro|route|ru|rule|n|ne|neigh|neighbou?r|netns|netconf|monitor|tunnel|maddr|xfrm|mroute)$/.test(next);
  if (tool === 'bridge') return next.startsWith('-') || /^(fdb|link|vlan|mdb|monitor)$/.test(next);
  return true;
}

export function splitTranscript(text: string, firstLine = 1): TranscriptSection[] {
  const lines = text.split('\n');
  const hits: PromptHit[] = [];
  const opening = firstContentLine(lines);
  lines.forEach((l, i) => {
    const found = promptsInLine(l, firstLine + i);
    // A bare command counts after a prompt, or as the file's first line (dumps pasted under their commands, no prompts at all).
    if (found.length === 0 && (hits.length > 0 || i === opening) && bareCommand(l)) found.push({ line: firstLine + i, start: 0, commandStart: 0, bare: true });
    appendAll(hits, found);
  });
  const sections: TranscriptSection[] = [];
  hits.forEach((hit, n) => {
    const next = hits[n + 1];
    const lineIndex = hit.line - firstLine;
    const lineText = lines[lineIndex] ?? '';
    const sameLineEnd = next && next.line === hit.line ? next.start : lineText.length;
    let commandLine = lineText.slice(hit.commandStart, sameLineEnd);
    // A prompt in a markdown code span (`` `root@n1:~# ip route` returns: ``): the command ends at its closing backtick.
    if (lineText.charCodeAt(hit.start) === 0x60) commandLine = commandLine.replace(/`.*$/, '');
    let following = '';
    if (!next || next.line > hit.line) {
      const endLine = next ? next.line - firstLine : lines.length;
      const body = lines.slice(lineIndex + 1, endLine);
      if (next && next.start > 0) body.push((lines[endLine] ?? '').slice(0, next.start));
      following = body.join('\n');
    }
    const section: TranscriptSection = { commandLine, following, line: hit.line };
    if (hit.host !== undefined) section.host = hit.host;
    if (hit.bare) section.bare = true;
    sections.push(section);
  });
  return sections;
}

function firstContentLine(lines: string[]): number {
  return lines.findIndex((l) => l.trim() !== '');
}

export function hasPrompts(text: string): boolean {
  const lines = text.split('\n', 5000);
  const opening = firstContentLine(lines);
  if (opening >= 0 && bareCommand(lines[opening]!)) return true;
  return lines.some((l, i) => promptsInLine(l, i + 1).length > 0);
}

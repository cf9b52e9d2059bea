// `ip rule` (policy routing) text output:
//
//   0:	from all lookup local
//   100:	from all fwmark 0x1/0x1 lookup 100
//   1000:	not from 10.0.0.0/8 iif eth0 lookup vpn
//   32766:	from all lookup main
//
// A rule starts at `PRIORITY:`; flattened dumps split there too.
import type { RoutingRule, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isPlaceholderAddress, lineText, placeholderWarning, tokenize, toInt, onLine } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

const ACTIONS = new Set(['blackhole', 'unreachable', 'prohibit', 'nop']);
const VALUE_KEYS = new Set(['pref', 'priority', 'tos', 'dsfield', 'realms', 'suppress_prefixlength', 'suppress_ifgroup', 'uidrange', 'ipproto', 'sport', 'dport', 'l3mdev', 'protocol', 'proto', 'flowlabel']);

export function parseIpRule(text: string, source: DumpSource): ParseResult<RoutingRule> {
  const tokens = tokenize(text, source.firstLine ?? 1);
  const warnings: Warning[] = [];
  const unknown = new UnknownTokens(source.file, 'a routing rule', warnings);
  const records: RoutingRule[] = [];
  let rule: RoutingRule | undefined;
  let orphanLine = false;
  const dropped = new Set<RoutingRule>();

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = token.text;
    const value = onLine(tokens, i);
    const priority = /^(\d{1,10}):$/.exec(word);
    if (priority) {
      unknown.flush();
      orphanLine = false;
      rule = { priority: Number(priority[1]), table: 'main', source: { file: source.file, line: token.line } };
      records.push(rule);
      continue;
    }
    // One rule per line: a line that starts none is one warning and changes none
    // (a rule may still start later on it, in a flattened paste).
    if (token.lineStart) orphanLine = true;
    if (orphanLine || !rule) {
      unknown.add(token);
      continue;
    }
    if (word === 'not') rule.not = true;
    else if (ACTIONS.has(word)) rule.action = word;
    else if (word === 'goto' && value !== undefined) {
      rule.action = `goto ${value}`;
      i++;
    } else if ((word === 'from' || word === 'to' || word === 'fwmark' || word === 'iif' || word === 'oif') && value !== undefined) {
      if (!(word === 'from' || word === 'to') || value !== 'all') rule[word] = value;
      if ((word === 'from' || word === 'to') && isPlaceholderAddress(value) && !dropped.has(rule)) {
        dropped.add(rule);
        warnings.push(placeholderWarning(source.file, token.line, value, 'routing rule', lineText(text, token.line, source.firstLine ?? 1)));
      }
      i++;
    } else if ((word === 'lookup' || word === 'table') && value !== undefined) {
      rule.table = value;
      i++;
    } else if (VALUE_KEYS.has(word) && value !== undefined) {
      if (word === 'pref' || word === 'priority') {
        const p = toInt(value);
        if (p !== undefined) rule.priority = p;
      }
      i++;
    } else if (word === '[detached]' || word === 'unresolved') {
      // state markers iproute2 adds; they do not change the rule's meaning here
    } else unknown.add(token);
  }
  unknown.flush();
  return { records: records.filter((r) => !dropped.has(r)), warnings };
}

// `ipset list` (and `ipset -L`, `ipset list NAME`) and `ipset save` into sets:
//
//   Name: KUBE-CLUSTER-IP                      create KUBE-CLUSTER-IP hash:ip,port family inet …
//   Type: hash:ip,port                         add KUBE-CLUSTER-IP 10.96.0.10,udp:53
//   Revision: 5 / Header: … / References: 2
//   Number of entries: 9
//   Members:
//   10.96.0.10,udp:53
//   10.96.0.1,tcp:443 timeout 300              (per-member options: timeout, packets, bytes,
//                                                comment "…", skbmark, nomatch)
//
// Knows nothing of Kubernetes or Calico. A line it cannot read is a warning with
// its line; the other sets still count.
import type { IpSet, Warning } from '../model.ts';
import { isIP, isPlaceholderAddress, isPrefix, placeholderWarning } from './tokens.ts';

export interface IpsetResult {
  records: IpSet[];
  warnings: Warning[];
}

const HEADER_KEYS = new Set(['Type', 'Revision', 'Header', 'Size in memory', 'References', 'Number of entries', 'Initval']);

/** "10.0.0.1,tcp:80 timeout 30 comment "x" nomatch" → the member and whether it is a nomatch entry. */
function member(text: string): { value: string; nomatch: boolean } | undefined {
  const value = text.trim().split(/\s+/)[0];
  if (value === undefined || value === '') return undefined;
  return { value, nomatch: /\snomatch\b/.test(text) };
}

type Refusal = { placeholder: string } | { notAddress: string };

/**
 * Why `value` cannot be a member of a set of `type` whose first part is an address (hash:ip…,
 * hash:net…, bitmap:ip…), or undefined when it can (or the type says nothing about it): the
 * kernel's sets hold addresses, so a redaction (`XXX.XXX.174.108`) kept as one would match nothing
 * the set does.
 */
function memberRefusal(type: string, value: string): Refusal | undefined {
  if (!/^(?:hash|bitmap):(?:ip|net)\b/.test(type)) return undefined;
  const address = value.split(',')[0]!;
  if (isPlaceholderAddress(address)) return { placeholder: address };
  const range = /^([^-]+)-([^-]+)$/.exec(address); // bitmap:ip and hash:ip accept FROM-TO ranges
  const ok = range ? isIP(range[1]!) && isIP(range[2]!) : isPrefix(address);
  return ok ? undefined : { notAddress: value };
}

/** Adds the member `text` names to `set`: false when the line holds none, else what kept it out (undefined: added). */
function add(set: IpSet, text: string): false | Refusal | undefined {
  const m = member(text);
  if (!m) return false;
  const refusal = memberRefusal(set.type, m.value);
  if (refusal !== undefined) return refusal;
  if (m.nomatch) (set.nomatch ??= []).push(m.value);
  else set.members.push(m.value);
  return undefined;
}

export function parseIpset(text: string, file: string, options: { firstLine?: number } = {}): IpsetResult {
  const first = options.firstLine ?? 1;
  const records: IpSet[] = [];
  const warnings: Warning[] = [];
  const byName = new Map<string, IpSet>();
  let current: IpSet | undefined;
  let inMembers = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const at = first + i;
    const warn = (message: string) => warnings.push({ file, line: at, message, text: line.slice(0, 200) });
    const addTo = (set: IpSet, memberText: string, noMember: string): void => {
      const kept = add(set, memberText);
      if (kept === false) warn(noMember);
      else if (kept !== undefined && 'placeholder' in kept) warnings.push(placeholderWarning(file, at, kept.placeholder, `member of set ${set.name}`, line.slice(0, 200)));
      else if (kept !== undefined) warn(`set ${set.name} (${set.type}): member ${kept.notAddress} is not an address; dropped`);
    };
    if (line.trim() === '') {
      inMembers = false;
      return;
    }
    // ipset save
    const create = /^create\s+(\S+)\s+(\S+)/.exec(line);
    if (create) {
      current = { name: create[1]!, type: create[2]!, members: [], source: { file, line: at } };
      byName.set(current.name, current);
      records.push(current);
      inMembers = false;
      return;
    }
    const addLine = /^add\s+(\S+)\s+(.+)$/.exec(line);
    if (addLine) {
      const set = byName.get(addLine[1]!);
      if (!set) warn(`add to set ${addLine[1]}, which no create line before it made`);
      else addTo(set, addLine[2]!, 'expected a member after the set name');
      return;
    }
    // ipset list
    const name = /^Name:\s+(\S+)\s*$/.exec(line);
    if (name) {
      current = { name: name[1]!, type: '', members: [], source: { file, line: at } };
      byName.set(current.name, current);
      records.push(current);
      inMembers = false;
      return;
    }
    if (current && inMembers) {
      addTo(current, line, `set ${current.name}: expected a member`);
      return;
    }
    const header = /^([A-Za-z ]+):\s*(.*)$/.exec(line);
    if (current && header) {
      if (header[1] === 'Members') inMembers = true;
      else if (header[1] === 'Type') current.type = header[2]!.trim();
      else if (!HEADER_KEYS.has(header[1]!)) warn(`set ${current.name}: \`${header[1]}:\` is not read`);
      return;
    }
    warn(current ? `set ${current.name}: a line podpath does not read` : 'expected `Name: SET` (ipset list) or `create SET TYPE` (ipset save)');
  });
  for (const set of records) {
    if (set.type === '') warnings.push({ file, line: set.source.line, message: `set ${set.name} has no Type: line; its members cannot be matched` });
  }
  return { records, warnings };
}

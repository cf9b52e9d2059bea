// `bridge fdb show` text output:
//
//   7e:46:23:43:6f:ec dev vethaabf9eb2 master cni0
//   5a:11:99:ab:8c:22 dev flannel.1 dst 172.18.0.3 self permanent
//   33:33:00:00:00:01 dev eth0 self permanent
//   00:00:00:00:00:00 dev vxlan0 dst 10.0.0.2 via eth1 self permanent
//
// `bridge fdb show dev flannel.1` leaves `dev` out: pass it in `defaultDev`.
// An entry starts at a MAC address.
import type { FdbEntry, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isMac, isPlaceholderAddress, lineText, placeholderWarning, tokenize, toInt, onLine } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

const VALUE_KEYS = new Set(['port', 'vni', 'src_vni', 'via', 'nhid', 'used', 'updated', 'ageing', 'br']);
const FLAGS = new Set(['extern_learn', 'offload', 'sticky', 'router', 'self', 'permanent', 'static', 'dynamic', 'master', 'local', 'locked', 'activity_notify', 'inactive']);

/**
 * A line a comment set in markdown emphasis to point at it (`*00:00:00:00:00:00 dev vtep-30 dst
 * 2.2.2.2 self permanent*`, pasted outside a code fence): the markers are the writer's, not part of
 * the entry. Only a whole line that opens with a marker glued to a MAC and closes with the same one.
 */
const EMPHASISED_ENTRY = /^(\s*)(\*{1,2}|_{1,2})([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\s.*\S)\2\s*$/;

function withoutEmphasis(text: string, source: DumpSource, warnings: Warning[]): string {
  if (!text.includes('*') && !text.includes('_')) return text;
  const first = source.firstLine ?? 1;
  let changed = false;
  const lines = text.split('\n').map((line, n) => {
    const m = EMPHASISED_ENTRY.exec(line);
    if (!m || m[3]!.endsWith(m[2]!.charAt(0))) return line;
    changed = true;
    warnings.push({ file: source.file, line: first + n, message: `markdown emphasis around the entry (\`${m[2]}\`): read without it`, text: line.slice(0, 200) });
    return `${m[1]}${m[3]}`;
  });
  return changed ? lines.join('\n') : text;
}

export function parseBridgeFdb(raw: string, source: DumpSource & { defaultDev?: string }): ParseResult<FdbEntry> {
  const warnings: Warning[] = [];
  const text = withoutEmphasis(raw, source, warnings);
  const tokens = tokenize(text, source.firstLine ?? 1);
  const unknown = new UnknownTokens(source.file, 'a bridge fdb entry', warnings);
  const records: FdbEntry[] = [];
  let entry: FdbEntry | undefined;
  let orphanLine = false;
  const dropped = new Set<FdbEntry>();

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = token.text;
    const value = onLine(tokens, i);
    if (isMac(word)) {
      unknown.flush();
      orphanLine = false;
      entry = { mac: word.toLowerCase(), dev: source.defaultDev ?? '', self: false, permanent: false, source: { file: source.file, line: token.line } };
      records.push(entry);
      continue;
    }
    // One entry per line: a line that starts none is one warning and changes none
    // (a entry may still start later on it, in a flattened paste).
    if (token.lineStart) orphanLine = true;
    if (orphanLine || !entry) {
      unknown.add(token);
      continue;
    }
    if (word === 'dev' && value !== undefined) {
      entry.dev = value;
      i++;
    } else if (word === 'dst' && value !== undefined) {
      entry.dst = value;
      if (isPlaceholderAddress(value) && !dropped.has(entry)) {
        dropped.add(entry);
        warnings.push(placeholderWarning(source.file, token.line, value, 'fdb entry', lineText(text, token.line, source.firstLine ?? 1)));
      }
      i++;
    } else if (word === 'vlan' && value !== undefined) {
      const vlan = toInt(value);
      if (vlan !== undefined) entry.vlan = vlan;
      i++;
    } else if (word === 'master' && value !== undefined && !FLAGS.has(value) && !isMac(value)) {
      entry.master = value;
      i++;
    } else if (word === 'state' && value !== undefined) {
      entry.state = value;
      i++;
    } else if (VALUE_KEYS.has(word) && value !== undefined) i++;
    else if (FLAGS.has(word)) {
      if (word === 'self') entry.self = true;
      if (word === 'permanent' || word === 'static') {
        entry.permanent = true;
        entry.state = word;
      }
    } else unknown.add(token);
  }
  unknown.flush();
  for (const record of records) {
    if (record.dev === '') warnings.push({ file: source.file, line: record.source.line, message: `fdb entry ${record.mac} has no device` });
  }
  return { records: records.filter((r) => r.dev !== '' && !dropped.has(r)), warnings };
}

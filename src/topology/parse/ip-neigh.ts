// `ip neigh` text output:
//
//   10.74.107.154 dev eth0 lladdr 00:50:56:82:a9:01 REACHABLE
//   192.168.2.0 dev flannel.1 lladdr a6:0d:d2:cd:65:14 PERMANENT
//   169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee used 0/0/0 probes 1 STALE
//   10.0.0.9 dev eth0 FAILED
//
// `ip neigh show dev cni0` leaves `dev` out: pass the device in `defaultDev`.
// An entry starts at an address where a key was expected.
import type { Neighbour, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isIP, isMac, isPlaceholderAddress, lineText, placeholderWarning, tokenize, onLine } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

const STATES = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'INCOMPLETE', 'NONE']);
const VALUE_KEYS = new Set(['used', 'probes', 'proto', 'protocol', 'nud', 'vrf']);
const FLAGS = new Set(['proxy', 'extern_learn', 'managed', 'externally_learned']);

export function parseIpNeigh(text: string, source: DumpSource & { defaultDev?: string }): ParseResult<Neighbour> {
  const tokens = tokenize(text, source.firstLine ?? 1);
  const warnings: Warning[] = [];
  const unknown = new UnknownTokens(source.file, 'a neighbour entry', warnings);
  const records: Neighbour[] = [];
  let entry: Neighbour | undefined;
  let orphanLine = false;
  const dropped = new Set<Neighbour>();

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = token.text;
    const value = onLine(tokens, i);
    if (isIP(word) || (isPlaceholderAddress(word) && (token.lineStart || !(orphanLine || (entry !== undefined && dropped.has(entry)))))) {
      unknown.flush();
      orphanLine = false;
      entry = { ip: word, dev: source.defaultDev ?? '', state: [], source: { file: source.file, line: token.line } };
      records.push(entry);
      if (!isIP(word)) {
        dropped.add(entry);
        warnings.push(placeholderWarning(source.file, token.line, word, 'neighbour entry', lineText(text, token.line, source.firstLine ?? 1)));
      }
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
    } else if (word === 'lladdr' && value !== undefined && (isMac(value) || /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(value))) {
      entry.mac = value.toLowerCase();
      i++;
    } else if (word === 'router') entry.router = true;
    else if (STATES.has(word)) entry.state.push(word);
    else if (VALUE_KEYS.has(word) && value !== undefined) i++;
    else if (FLAGS.has(word)) {
      // flags the model does not use
    } else if (!dropped.has(entry)) unknown.add(token); // a dropped entry's words were reported with it
  }
  unknown.flush();
  for (const record of records) {
    if (dropped.has(record)) continue;
    if (record.dev === '') {
      warnings.push({ file: source.file, line: record.source.line, message: `neighbour ${record.ip} has no device` });
    }
  }
  // An address in pasted prose is not an entry: a real one has a device and a MAC or a state.
  const real = records.filter((r) => !dropped.has(r) && r.dev !== '' && (r.mac !== undefined || r.state.length > 0));
  const kept = new Set(real);
  for (const r of records) {
    if (r.dev !== '' && !kept.has(r) && !dropped.has(r)) warnings.push({ file: source.file, line: r.source.line, message: `${r.ip} has no lladdr or state: not read as a neighbour` });
  }
  return { records: real, warnings };
}

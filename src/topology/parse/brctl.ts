// `brctl show` (bridge-utils):
//
//   bridge name	bridge id		STP enabled	interfaces
//   cni0		8000.e2b0c71e8e7a	no		veth100d66d7
//   							veth6b3caf45
//   docker0		8000.0242def0744f	no
//
// Extra ports come on continuation lines. A bridge starts at a name followed by
// a bridge id (`PPPP.MMMMMMMMMMMM`), so the flattened form reads the same.
import type { Bridge, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, onLine, tokenize } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

const BRIDGE_ID = /^[0-9a-f]{4}\.[0-9a-f]{12}$/i;
const PORT = /^[\w.@:-]{1,15}$/;
const HEADER = ['bridge', 'name', 'bridge', 'id', 'STP', 'enabled', 'interfaces'];

export interface BrctlBridge extends Bridge {
  source: { file: string; line: number };
}

export function parseBrctlShow(text: string, source: DumpSource): ParseResult<BrctlBridge> {
  const tokens = tokenize(text, source.firstLine ?? 1);
  const warnings: Warning[] = [];
  const unknown = new UnknownTokens(source.file, 'brctl show output', warnings);
  const records: BrctlBridge[] = [];
  let bridge: BrctlBridge | undefined;
  let sawHeader = false;
  let orphanLine = false;
  const collapsed = /^bridge name bridge id STP enabled interfaces[ \t]*$/m.test(text);

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (HEADER.every((word, k) => tokens[i + k]?.text === word)) {
      unknown.flush();
      sawHeader = true;
      i += HEADER.length - 1;
      continue;
    }
    const next = onLine(tokens, i) ?? '';
    if (BRIDGE_ID.test(next)) {
      unknown.flush();
      orphanLine = false;
      bridge = { name: token.text, id: next, ports: [], source: { file: source.file, line: token.line } };
      records.push(bridge);
      i++;
      const stp = onLine(tokens, i);
      if (stp === 'yes' || stp === 'no') {
        bridge.stp = stp === 'yes';
        i++;
      }
      continue;
    }
    // A port on a line of its own is indented and alone there; any other line is one
    // warning and adds no port to the bridge above (a bridge row may still start on it).
    if (token.lineStart) {
      const alone = onLine(tokens, i) === undefined;
      orphanLine = !(token.indented && alone);
      // A page that collapsed blanks (its header has single spaces; brctl prints tabs) left the
      // continuation line unindented: a lone name under a bridge is still its port, said once.
      if (orphanLine && collapsed && alone && bridge && PORT.test(token.text)) {
        orphanLine = false;
        warnings.push({ file: source.file, line: token.line, message: `read as a port of ${bridge.name}: the header's blanks were collapsed, so continuation lines lost their indent`, text: token.text });
      }
    }
    if (!orphanLine && bridge && PORT.test(token.text)) bridge.ports.push(token.text);
    else unknown.add(token);
  }
  unknown.flush();
  if (!sawHeader && records.length > 0) {
    warnings.push({ file: source.file, line: source.firstLine ?? 1, message: 'brctl show header missing; read the rows anyway' });
  }
  return { records, warnings };
}

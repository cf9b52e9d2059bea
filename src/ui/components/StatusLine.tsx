// The bottom two rows: how the chosen path ends (coloured by outcome), then the
// status line (warnings from the inputs, capture progress, search prompt, keys).
import { Box, Text } from 'ink';
import type { TracePath } from '../../trace/model.ts';
import { countText, fit, probabilityText, s } from '../format.ts';
import type { CaptureState, ExplainState, ReportState, SearchState } from '../state.ts';
import { dispositionRole, type Role, type Theme } from '../theme.ts';
import { Line, type Seg } from './Line.tsx';

export function EndingLine({ path, theme, width }: { path: TracePath | undefined; theme: Theme; width: number }) {
  if (!path) return <Line segs={[{ text: 'no path' }]} theme={theme} />;
  const role = dispositionRole(path.disposition);
  // What the client sees (a timeout, an ICMP error) is what users compare with: it
  // comes before the reason, which is cut first on a narrow terminal.
  const head = `${path.disposition.toUpperCase()}${path.endpoint ? ` via ${s(path.endpoint)} (${probabilityText(path.probability)})` : ''}`;
  const client = path.clientSees ? ` · client sees: ${s(path.clientSees)}` : '';
  return (
    <Line
      segs={[
        { text: head, role, bold: true },
        { text: `${client}: ` },
        { text: fit(s(path.reason), Math.max(0, width - head.length - client.length - 2)) },
      ]}
      theme={theme}
    />
  );
}

export interface StatusLineProps {
  warnings: number;
  capture: CaptureState | undefined;
  explain?: ExplainState | undefined;
  search: SearchState;
  report?: ReportState | undefined;
  theme: Theme;
  width: number;
}

export function StatusLine(props: StatusLineProps) {
  if (props.search.editing) {
    return (
      <Box>
        <Text bold>/</Text>
        <Text>{s(props.search.text)}</Text>
        <Text inverse> </Text>
        <Text>{'  Enter: find · Esc: cancel'}</Text>
      </Box>
    );
  }
  const warn = props.warnings > 0;
  const parts: { text: string; role: Role }[] = [{ text: `⚠ ${props.warnings} warning${props.warnings === 1 ? '' : 's'}`, ...(warn ? { role: 'warn' as const } : { role: 'dim' as const }) }];
  // Right after the warnings: the file name is what the user needs to see, before it is cut.
  const r = props.report;
  if (r?.status === 'writing') parts.push({ text: ' · writing the report…', role: 'warn' as const });
  else if (r?.status === 'written') parts.push({ text: ` · report: ${s(r.file ?? '')}`, role: 'ok' as const });
  else if (r?.status === 'error') parts.push({ text: ` · report not written: ${s(r.error ?? '')}`, role: 'bad' as const });
  const c = props.capture;
  if (c) {
    const progress = c.done ? '' : ' reading…';
    parts.push({ text: ` · capture ${countText(c.total)} pkts${progress}`, role: 'dim' as const });
  }
  const e = props.explain;
  if (e?.status === 'running') parts.push({ text: ` · explaining… ${s(e.progress)}`, role: 'warn' as const });
  else if (e?.status === 'error') parts.push({ text: ' · explainer stopped (e)', role: 'bad' as const });
  else if (e?.view) parts.push({ text: ` · e: ${e.view.faultFound ? 'trouble found' : 'no trouble'}`, role: e.view.faultFound ? ('bad' as const) : ('dim' as const) });
  if (props.search.message) parts.push({ text: ` · ${s(props.search.message)}`, role: 'warn' as const });
  // The key hints end the line, and '? help' is never cut: it is how a new user finds
  // every other key. The longest hint that fits beside the rest is shown; when even the
  // shortest does not, the rest (a long report name, a "not found" query) is cut instead.
  const used = parts.reduce((n, p) => n + p.text.length, 0);
  const keys = KEY_HINTS.find((k) => used + k.length <= props.width) ?? KEY_HINTS[KEY_HINTS.length - 1]!;
  return <Line segs={[...cutSegs(parts, props.width - keys.length), { text: keys, role: 'dim' }]} theme={props.theme} />;
}

const KEY_HINTS = [' · Tab pane · / search · ? help · q quit', ' · / search · ? help · q quit', ' · ? help · q quit', ' · ? help'];

/** The segments that fit in `width` columns, the one that crosses it cut with '…'. */
function cutSegs(segs: Seg[], width: number): Seg[] {
  const kept: Seg[] = [];
  let room = Math.max(0, width);
  for (const seg of segs) {
    if (room <= 0) break;
    kept.push(seg.text.length <= room ? seg : { ...seg, text: fit(seg.text, room) });
    room -= seg.text.length;
  }
  return kept;
}

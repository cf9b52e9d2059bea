// Things drawn in place of the panes for a moment: key help, the warnings the
// inputs produced, and the path picker. Each takes the keys only while open.
import type { Topology } from '../../topology/model.ts';
import type { TracePath } from '../../trace/model.ts';
import { endpointHolder, fit, pathLabel, s, windowStart } from '../format.ts';
import { dispositionRole, type Theme } from '../theme.ts';
import { Rows, row, type Row } from './Line.tsx';

export const HELP: [string, string][] = [
  ['↑ ↓  j k', 'move in the focused pane (PgUp/PgDn, g/G: page, ends)'],
  ['Tab  S-Tab', 'next / previous pane (1-5 jump to a pane)'],
  ['Enter', 'trace: open the hop · detail: open all steps · capture: layers/hex'],
  ['← →  h l', 'trace: other path · detail: other hop · capture: layer'],
  ['p', 'path picker (one path per service endpoint)'],
  ['m  M', 'capture: next / previous packet of the traced connection (●)'],
  ['e', 'Explain the captures (--capture); Enter there marks a connection ◆'],
  ['/  n', 'search the focused pane / next match'],
  ['w', 'warnings from the inputs'],
  ['r', 'write an HTML report of this trace (and explanation) to the current folder'],
  ['?', 'this help'],
  ['Esc', 'close help, picker, search; else back to the trace list'],
  ['q  Ctrl-C', 'quit (Ctrl-C: exit status 130)'],
];

export function HelpOverlay({ theme, width, height }: { theme: Theme; width: number; height: number }) {
  const rows: Row[] = [row({ text: 'Keys', bold: true })];
  for (const [keys, what] of HELP) rows.push([{ text: keys.padEnd(12), role: 'accent', bold: true }, { text: fit(what, width - 12) }]);
  rows.push([]);
  rows.push(row({ text: 'Panes: Trace · Detail (steps at the hop) · Topology · Capture, Explain (--capture)', role: 'dim' }));
  return <Rows rows={rows.slice(0, height)} theme={theme} />;
}

export function WarningsOverlay({ warnings, theme, width, height }: { warnings: string[]; theme: Theme; width: number; height: number }) {
  const rows: Row[] = [row({ text: `${warnings.length} warning${warnings.length === 1 ? '' : 's'} from the inputs`, bold: true })];
  for (const w of warnings.slice(0, Math.max(0, height - 2))) rows.push(row({ text: fit(s(w), width), role: 'warn' }));
  if (warnings.length > height - 2) rows.push(row({ text: `… ${warnings.length - (height - 2)} more (podpath topology shows all)`, role: 'dim' }));
  return <Rows rows={rows} theme={theme} />;
}

export interface PickerProps {
  paths: TracePath[];
  /** Names the endpoint pods (their IPs are in the paths). */
  topology: Topology;
  index: number;
  current: number;
  theme: Theme;
  width: number;
  height: number;
}

export function PathPicker(props: PickerProps) {
  const rows: Row[] = [row({ text: 'Choose a path (endpoint and its pod, share of new connections, ending)', bold: true })];
  const room = Math.max(1, props.height - 1);
  const start = windowStart(props.index, props.paths.length, room);
  props.paths.slice(start, start + room).forEach((path, i) => {
    const index = start + i;
    const selected = index === props.index;
    rows.push([
      { text: `${selected ? '›' : ' '}${index === props.current ? '*' : ' '}`, bold: true },
      { text: fit(pathLabel(path, index, endpointHolder(props.topology, path.endpoint)), props.width - 3), inverse: selected, role: dispositionRole(path.disposition) },
    ]);
  });
  return <Rows rows={rows} theme={props.theme} />;
}

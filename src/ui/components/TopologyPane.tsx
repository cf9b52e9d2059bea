// The cluster as a diagram with the current hop's device marked. Up/Down here
// move along the trace, so the mark walks through the diagram.
import { useMemo } from 'react';
import type { Topology } from '../../topology/model.ts';
import type { Hop } from '../../trace/model.ts';
import { drawTopology } from '../diagram.ts';
import { s, windowStart } from '../format.ts';
import type { Theme } from '../theme.ts';
import { Rows, type Row } from './Line.tsx';

export interface TopologyPaneProps {
  topology: Topology;
  hop: Hop | undefined;
  hopNumber: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

export function TopologyPane(props: TopologyPaneProps) {
  const here = props.hop ? { at: props.hop.at, interface: props.hop.interface } : undefined;
  const lines = useMemo(() => drawTopology(props.topology, props.width, here), [props.topology, props.width, here?.at, here?.interface]);
  const rows: Row[] = lines.map((line) =>
    line.map((seg) => (seg.marked ? { text: seg.text, role: 'mark' as const, bold: true, inverse: true } : { text: seg.text })),
  );
  const marked = lines.findIndex((l) => l.some((seg) => seg.marked));
  const caption: Row = [
    { text: props.hop ? `hop ${props.hopNumber}: ${s(props.hop.at)} ${s(props.hop.interface)}` : 'no hop', role: 'dim' },
    ...(props.hop && marked < 0 ? [{ text: ' (device not in the diagram)', role: 'warn' as const }] : []),
  ];
  const room = Math.max(1, props.height - 1);
  const start = windowStart(Math.max(0, marked), rows.length, room);
  return <Rows rows={[caption, ...rows.slice(start, start + room)]} theme={props.theme} />;
}

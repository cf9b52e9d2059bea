// One terminal row made of styled segments. Panes build rows as data (so their
// windowing and wrapping are plain code) and this draws them; rows never wrap,
// they are cut at the pane's width.
import { Text } from 'ink';
import type { Role, Theme } from '../theme.ts';

export interface Seg {
  text: string;
  role?: Role;
  bold?: boolean;
  inverse?: boolean;
  underline?: boolean;
}
export type Row = Seg[];

export const row = (...segs: (Seg | string)[]): Row => segs.map((x) => (typeof x === 'string' ? { text: x } : x));

export function Line({ segs, theme }: { segs: Row; theme: Theme }) {
  if (segs.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {segs.map((seg, i) => {
        const color = seg.role ? theme.c(seg.role) : undefined;
        // Without colour, dim text stays plain and "changed"/"mark" become underlined.
        const underline = seg.underline || (!theme.color && (seg.role === 'changed' || seg.role === 'bad'));
        return (
          <Text
            key={i}
            {...(color ? { color } : {})}
            bold={seg.bold ?? false}
            inverse={seg.inverse ?? false}
            underline={underline ?? false}
          >
            {seg.text}
          </Text>
        );
      })}
    </Text>
  );
}

export function Rows({ rows, theme }: { rows: Row[]; theme: Theme }) {
  return (
    <>
      {rows.map((r, i) => (
        <Line key={i} segs={r} theme={theme} />
      ))}
    </>
  );
}

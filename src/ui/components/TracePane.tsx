// The hops of the chosen path, one selected: where (pod or node), which device,
// the packet's addresses there, and a mark where it travels encapsulated.
import type { TracePath } from '../../trace/model.ts';
import { endpointText, fit, probabilityText, s, windowStart } from '../format.ts';
import { dispositionRole, type Theme } from '../theme.ts';
import { Rows, row, type Row } from './Line.tsx';
import { policyBrief } from '../../trace/render-policy.ts';

export interface TracePaneProps {
  paths: TracePath[];
  pathIndex: number;
  hopIndex: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

export function traceRows(props: Omit<TracePaneProps, 'height'>): { head: Row[]; hops: Row[][] } {
  const { paths, pathIndex, hopIndex, width } = props;
  const path = paths[pathIndex];
  const head: Row[] = [];
  if (!path) return { head: [row('no path: the trace found nothing to follow')], hops: [] };
  if (paths.length > 1) {
    const endpoint = path.endpoint ? s(path.endpoint) : 'no DNAT';
    head.push([
      { text: `‹${pathIndex + 1}/${paths.length}› `, bold: true },
      { text: fit(`${endpoint} ${probabilityText(path.probability)} ${path.disposition}`, width - 8), role: dispositionRole(path.disposition) },
    ]);
  }
  // NetworkPolicy's word on this path, one line per direction (the hop detail shows felix's rules).
  for (const line of path.policy ? policyBrief(path.policy) : []) head.push(row({ text: fit(s(line.text), width), ...(line.denied ? { role: 'bad' as const } : { role: 'dim' as const }) }));
  const hops = path.hops.map((hop, i) => {
    const selected = i === hopIndex;
    const marker = selected ? '›' : ' ';
    const title = `${marker}${String(i + 1).padStart(2)} ${s(hop.at)} ${s(hop.interface)}`;
    const first: Row = [{ text: title, bold: selected, inverse: selected && props.focused }];
    if (hop.outer) {
      const tunnel = hop.outer.encapsulation === 'vxlan' ? `VXLAN${hop.outer.vni === undefined ? '' : ` ${hop.outer.vni}`}` : 'IPIP';
      first.push({ text: ' ' }, { text: `[${tunnel}]`, role: 'encap', bold: true });
    }
    // Where the packet is rewritten or stopped is what people look for first.
    for (const step of hop.steps) {
      if (step.type === 'nat') first.push({ text: ' ' }, { text: `[${step.action === 'masquerade' ? 'MASQ' : step.action.toUpperCase()}]`, role: 'changed', bold: true });
      if (step.type === 'drop') first.push({ text: ' ' }, { text: `[${step.disposition.toUpperCase()}]`, role: 'bad', bold: true });
    }
    const p = hop.packet;
    // The destination port matters more than the source port: drop the latter when the row is too narrow.
    let addresses = `    ${s(endpointText(p.src, p.sport))} → ${s(endpointText(p.dst, p.dport))}`;
    if (addresses.length > width) addresses = `    ${s(p.src)} → ${s(endpointText(p.dst, p.dport))}`;
    const second = row({ text: addresses, role: 'dim' });
    return [first, second];
  });
  return { head, hops };
}

export function TracePane(props: TracePaneProps) {
  const { head, hops } = traceRows(props);
  const perHop = 2;
  const visibleHops = Math.max(1, Math.floor((props.height - head.length) / perHop));
  const start = windowStart(props.hopIndex, hops.length, visibleHops);
  const rows = [...head, ...hops.slice(start, start + visibleHops).flat()];
  return <Rows rows={rows} theme={props.theme} />;
}

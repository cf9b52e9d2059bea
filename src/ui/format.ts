// Plain-text pieces of the UI (no React here), so they are easy to test and the
// same wording appears in every pane. Every string that came from a dump or a
// capture passes through escapeLine before it is returned.
import type { FieldDiff, Hop, OuterHeader, Packet, Step, TracePath } from '../trace/model.ts';
import type { Topology } from '../topology/model.ts';
import { escapeLine } from '../util/escape-text.ts';
import { formatNeeds } from '../trace/needs.ts';
import { appendAll } from '../util/append.ts';

export const s = escapeLine;

export function endpointText(ip: string, port: number | undefined): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

export function packetText(p: Packet): string {
  return s(`${endpointText(p.src, p.sport)} → ${endpointText(p.dst, p.dport)} ${p.proto}`);
}

export function outerText(o: OuterHeader): string {
  const tunnel = o.encapsulation === 'vxlan' ? `VXLAN${o.vni === undefined ? '' : ` ${o.vni}`}` : 'IPIP';
  return s(`${tunnel} ${endpointText(o.src, o.sport)} → ${endpointText(o.dst, o.dport)}`);
}

export function probabilityText(p: number): string {
  if (p >= 0.9995) return '100%';
  const pct = p * 100;
  return `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

/**
 * A count with thousands separators, as `toLocaleString('en')` writes it ("1,234,567"), without
 * Intl: the first toLocaleString of a process sets up ICU's number formatting, 4-18 ms of the
 * UI's first frame (the status line's capture count). Anything but a whole count goes to Intl.
 */
export function countText(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) return n.toLocaleString('en');
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/**
 * Who holds a path's endpoint, as kubectl names it: `namespace/pod` (the pod alone when the
 * dumps give no namespace), or the node for a host-network endpoint; undefined when the
 * topology has no name for the address.
 */
export function endpointHolder(topology: Topology, endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  const ip = endpoint.slice(0, endpoint.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  const node = topology.nodes.find((n) => n.addresses.includes(ip));
  if (node) return `node ${node.name}`;
  const pod = topology.pods.find((p) => p.ip === ip && !p.unnamed);
  return pod ? (pod.namespace ? `${pod.namespace}/${pod.name}` : pod.name) : undefined;
}

/** A path in the picker: the endpoint, who holds it, the share of new connections it gets, how it ends. */
export function pathLabel(path: TracePath, index: number, holder?: string): string {
  const endpoint = path.endpoint ? s(path.endpoint) : 'no DNAT';
  const who = holder ? ` ${s(holder)}` : '';
  return `${index + 1}. ${endpoint}${who}  ${probabilityText(path.probability)}  ${path.disposition}`;
}

/** Which fields a hop's steps changed (NAT), so the UI can highlight them. */
export function changedFields(steps: Step[]): Set<FieldDiff['field']> {
  const fields = new Set<FieldDiff['field']>();
  for (const step of steps) if (step.type === 'nat') for (const d of step.diffs) fields.add(d.field);
  return fields;
}

/** The packet after this hop's NAT steps, from the packet the hop saw. */
export function packetAfter(hop: Hop): Packet {
  const after: Packet = { ...hop.packet };
  for (const step of hop.steps) {
    if (step.type !== 'nat') continue;
    for (const d of step.diffs) {
      if (d.field === 'src' || d.field === 'dst') {
        if (typeof d.new === 'string') after[d.field] = d.new;
      } else if (typeof d.new === 'number') after[d.field] = d.new;
      else if (typeof d.new === 'string' && /^\d+$/.test(d.new)) after[d.field] = Number(d.new);
    }
  }
  return after;
}

const stepLabels: Record<Step['type'], string> = {
  'enter-interface': 'in',
  'exit-interface': 'out',
  netfilter: 'rule',
  nat: 'nat',
  route: 'route',
  neighbour: 'neigh',
  bridge: 'bridge',
  encapsulate: 'encap',
  decapsulate: 'decap',
  deliver: 'deliver',
  drop: 'drop',
  'exit-cluster': 'exit',
  note: 'note',
};

export function stepLabel(step: Step): string {
  return stepLabels[step.type];
}

/** One line saying what a step did, for the collapsed list. */
export function stepSummary(step: Step): string {
  switch (step.type) {
    case 'enter-interface':
      return s(`enters ${step.interface}`);
    case 'exit-interface':
      return s(`leaves by ${step.interface}`);
    case 'netfilter': {
      const chance = step.probability === undefined ? '' : ` (p=${step.probability})`;
      // A jump says little without where it goes: name the target chain.
      const where = (step.action === 'jump' || step.action === 'goto') && step.target ? ` ${step.target}` : '';
      return s(`${step.table}/${step.chain} ${step.action}${where}${chance}`);
    }
    case 'nat':
      return s(`${step.table}/${step.chain} ${step.action.toUpperCase()} ${step.diffs.map(diffText).join(', ')}`);
    case 'route':
      return s(`${step.table}: ${step.chosen ?? 'no route'} → ${step.result}`);
    case 'neighbour':
      return s(`${step.ip} dev ${step.interface}${step.mac ? ` lladdr ${step.mac}` : ''} (${step.result})`);
    case 'bridge':
      return s(`${step.bridge}: ${step.mac}${step.port ? ` → ${step.port}` : ''} (${step.result})`);
    case 'encapsulate':
      return s(`${step.device}${step.vni === undefined ? '' : ` VNI ${step.vni}`} ${step.localVtep} → ${step.remoteVtep}`);
    case 'decapsulate':
      return s(`${step.device}${step.vni === undefined ? '' : ` VNI ${step.vni}`} from ${step.outer.src}`);
    case 'deliver':
      return s(`to ${step.to}${step.port === undefined ? '' : ` port ${step.port}`}`);
    case 'drop':
      return s(step.needs ? `${step.disposition}: needs ${formatNeeds(step.needs)}` : step.disposition);
    case 'exit-cluster':
      return s(`leaves the cluster by ${step.interface} towards ${step.nextHop}`);
    case 'note':
      return s(step.explanation);
    default: {
      const unhandled: never = step;
      return unhandled;
    }
  }
}

export function diffText(d: FieldDiff): string {
  return s(`${d.field} ${String(d.old ?? '∅')} → ${String(d.new ?? '∅')}`);
}

/** All text of a hop, for `/` search. */
export function hopSearchText(hop: Hop): string {
  const parts = [hop.at, hop.interface, packetText(hop.packet)];
  if (hop.outer) parts.push(outerText(hop.outer));
  for (const step of hop.steps) parts.push(stepSearchText(step));
  return parts.join('\n').toLowerCase();
}

export function stepSearchText(step: Step): string {
  const parts = [stepLabel(step), stepSummary(step), step.explanation];
  if (step.type === 'netfilter' || step.type === 'nat') parts.push(step.rule);
  if (step.type === 'route') appendAll(parts, step.losers);
  return parts.join('\n').toLowerCase();
}

/** Cuts text to a width, marking the cut, so list rows never wrap. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return '…';
  return `${text.slice(0, width - 1)}…`;
}

/** Splits text into rows of at most `width` characters, preferring spaces. */
export function wrap(text: string, width: number): string[] {
  if (width <= 0) return [];
  const rows: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= width / 3) cut = width;
    rows.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || rows.length === 0) rows.push(rest);
  return rows;
}

/** The first index of a window of `height` rows keeping `selected` visible. */
export function windowStart(selected: number, count: number, height: number): number {
  if (count <= height) return 0;
  const start = selected - Math.floor(height / 2);
  return Math.max(0, Math.min(start, count - height));
}

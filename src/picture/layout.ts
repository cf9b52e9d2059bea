// Places a picture with ELK's layered algorithm, top to bottom (the journey reads down the
// page, machine after machine) (elkjs, the Eclipse Layout Kernel compiled
// to JavaScript): machines as compound nodes holding their devices, arrows routed
// orthogonally across the hierarchy, arrow labels placed by ELK. podpath only measures the
// text (monospace, so a character count is a width) and reads the coordinates back.
import { createRequire } from 'node:module';
import type { ELK as ElkInstance, ELKConstructorArguments } from 'elkjs/lib/elk-api.js';
import type { ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Picture, PictureArrow, PictureDevice, PictureEnding, PictureGroup } from './model.ts';
import { appendAll, maxOf } from '../util/append.ts';

// elkjs is CommonJS whose typings claim an ES default export; require() gives the constructor as it is.
const ELK = createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new (args?: ELKConstructorArguments) => ElkInstance;

/** Font metrics the SVG writer draws with (monospace: every character is 0.6 em wide). */
export const METRICS = {
  fontSize: 12,
  smallFontSize: 11,
  lineHeight: 15,
  smallLineHeight: 14,
  charWidth: 12 * 0.6,
  smallCharWidth: 11 * 0.6,
  groupLabelHeight: 22,
  padding: 10,
} as const;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedArrow {
  arrow: PictureArrow;
  /** The polyline from the source device to the target device. */
  points: { x: number; y: number }[];
  label?: Box & { lines: ArrowLabelLine[] };
}

export interface ArrowLabelLine {
  text: string;
  kind: 'number' | 'packet' | 'nat' | 'branch';
}

export interface Layout {
  width: number;
  height: number;
  groups: (Box & { group: PictureGroup })[];
  devices: (Box & { device: PictureDevice })[];
  endings: (Box & { ending: PictureEnding; lines: string[] })[];
  arrows: PlacedArrow[];
  /** Dashed connectors from a device to its ending. */
  endingLinks: { points: { x: number; y: number }[]; tone: PictureEnding['tone'] }[];
}

/** Breaks a sentence into lines of at most `width` characters (words longer than that stay whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

const ENDING_WIDTH = 44;

export function endingLines(ending: PictureEnding): string[] {
  return [ending.title, ...ending.detail.flatMap((d) => wrap(d, ENDING_WIDTH))];
}

export function arrowLabelLines(arrow: PictureArrow): ArrowLabelLine[] {
  const lines: ArrowLabelLine[] = [{ text: arrow.numbers.join(', '), kind: 'number' }];
  if (arrow.branches) {
    const shares = arrow.branches.map((b) => `path ${b.index}${b.endpoint ? ` → ${b.endpoint}` : ''}`);
    lines.push({ text: shares.join('; '), kind: 'branch' });
  }
  for (const nat of arrow.nat) lines.push({ text: nat, kind: 'nat' });
  for (const packet of arrow.packet) lines.push({ text: packet, kind: 'packet' });
  return lines;
}

const deviceSize = (d: PictureDevice) => ({
  width: Math.max(d.name.length, d.detail?.length ?? 0) * METRICS.charWidth + 2 * METRICS.padding,
  height: d.detail !== undefined ? 2 * METRICS.lineHeight + METRICS.padding : METRICS.lineHeight + METRICS.padding,
});

const textBox = (lines: string[], charWidth: number, lineHeight: number) => ({
  width: maxOf(lines.map((l) => l.length)) * charWidth + 2 * 6,
  height: lines.length * lineHeight + 8,
});

const padding = (right: number) => `[top=${METRICS.groupLabelHeight + 8},left=12,bottom=12,right=${right}]`;
const labelWidth = (group: PictureGroup) => group.label.length * METRICS.charWidth + 2 * 10;

/**
 * ELK sizes a box by its children, not by its title (drawn in the top padding), so a box
 * narrower than its title is laid out again with that much more padding on its right.
 */
export async function layoutPicture(picture: Picture): Promise<Layout> {
  const first = await layoutOnce(picture, new Map());
  const extraRight = new Map<string, number>();
  for (const g of first.groups) {
    const short = labelWidth(g.group) - g.width;
    if (short > 0) extraRight.set(g.group.id, Math.ceil(short));
  }
  return extraRight.size === 0 ? first : layoutOnce(picture, extraRight);
}

async function layoutOnce(picture: Picture, extraRight: Map<string, number>): Promise<Layout> {
  const nodes = new Map<string, ElkNode>();
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.spacing.nodeNode': '30',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.spacing.edgeNodeBetweenLayers': '20',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
    },
    children: [],
    edges: [],
  };
  for (const group of picture.groups) {
    nodes.set(group.id, {
      id: group.id,
      layoutOptions: { 'elk.padding': padding(12 + (extraRight.get(group.id) ?? 0)) },
      children: [],
    });
  }
  for (const group of picture.groups) {
    const parent = group.parent !== undefined ? nodes.get(group.parent) : undefined;
    (parent ?? root).children!.push(nodes.get(group.id)!);
  }
  for (const device of picture.devices) {
    const node: ElkNode = { id: device.id, ...deviceSize(device) };
    nodes.set(device.id, node);
    (nodes.get(device.group) ?? root).children!.push(node);
  }
  const endingText = new Map<string, string[]>();
  for (const ending of picture.endings) {
    const lines = endingLines(ending);
    endingText.set(ending.id, lines);
    const node: ElkNode = { id: ending.id, ...textBox(lines, METRICS.smallCharWidth, METRICS.smallLineHeight) };
    const device = picture.devices.find((d) => d.id === ending.device);
    (nodes.get(device?.group ?? '') ?? root).children!.push(node);
    root.edges!.push({ id: `${ending.id}-link`, sources: [ending.device], targets: [ending.id] });
  }
  const labelLines = new Map<string, ArrowLabelLine[]>();
  for (const arrow of picture.arrows) {
    const lines = arrowLabelLines(arrow);
    labelLines.set(arrow.id, lines);
    const label: ElkLabel = { id: `${arrow.id}-label`, text: arrow.id, ...textBox(lines.map((l) => l.text), METRICS.smallCharWidth, METRICS.smallLineHeight) };
    root.edges!.push({ id: arrow.id, sources: [arrow.from], targets: [arrow.to], labels: [label] });
  }

  const placed = await new ELK().layout(root);

  const layout: Layout = { width: placed.width ?? 0, height: placed.height ?? 0, groups: [], devices: [], endings: [], arrows: [], endingLinks: [] };
  const groupsById = new Map(picture.groups.map((g) => [g.id, g]));
  const devicesById = new Map(picture.devices.map((d) => [d.id, d]));
  const endingsById = new Map(picture.endings.map((e) => [e.id, e]));
  const box = (n: ElkNode): Box => ({ x: n.x ?? 0, y: n.y ?? 0, width: n.width ?? 0, height: n.height ?? 0 });
  const visit = (n: ElkNode): void => {
    const group = groupsById.get(n.id);
    const device = devicesById.get(n.id);
    const ending = endingsById.get(n.id);
    if (group) layout.groups.push({ ...box(n), group });
    if (device) layout.devices.push({ ...box(n), device });
    if (ending) layout.endings.push({ ...box(n), ending, lines: endingText.get(ending.id) ?? [] });
    for (const child of n.children ?? []) visit(child);
  };
  visit(placed);
  // Edges are kept in the container ELK moved them to; collect them all.
  const edges: ElkExtendedEdge[] = [];
  const collect = (n: ElkNode): void => {
    appendAll(edges, n.edges ?? []);
    for (const child of n.children ?? []) collect(child);
  };
  collect(placed);
  const arrowsById = new Map(picture.arrows.map((a) => [a.id, a]));
  for (const edge of edges) {
    const points = (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const arrow = arrowsById.get(edge.id);
    if (arrow) {
      const label = edge.labels?.[0];
      layout.arrows.push({
        arrow,
        points,
        ...(label ? { label: { ...box(label as ElkNode), lines: labelLines.get(arrow.id) ?? [] } } : {}),
      });
    } else {
      const ending = endingsById.get(edge.id.replace(/-link$/, ''));
      if (ending) layout.endingLinks.push({ points, tone: ending.tone });
    }
  }
  return layout;
}

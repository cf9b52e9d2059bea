// The laid-out picture as one self-contained SVG: no external fonts, images or scripts; a
// <style> whose colours follow prefers-color-scheme, so it reads in light and dark viewers
// (GitHub shows SVG in <img>, where the media query still applies).
import type { DeviceRole, EndingTone, Picture } from './model.ts';
import { METRICS, layoutPicture, type Layout } from './layout.ts';
import { escapeMarkup } from './markup.ts';
import { maxOf } from '../util/append.ts';

const HEADER_LINE = 18;
const MARGIN = 16;

// Two palettes written out as plain class rules (no CSS custom properties: librsvg and some
// image viewers do not know var()); the dark one applies under prefers-color-scheme: dark.
interface Palette {
  bg: string; fg: string; muted: string; node: string; nodeLine: string; pod: string; podLine: string; dev: string; idle: string;
  arrow: string; nat: string; label: string; role: Record<DeviceRole, string>; tone: Record<EndingTone, { line: string; fill: string }>;
}

const LIGHT: Palette = {
  bg: '#ffffff', fg: '#1f2328', muted: '#656d76', node: '#f6f8fa', nodeLine: '#8c959f', pod: '#eef6ff', podLine: '#54aeff', dev: '#ffffff',
  idle: '#8c959f', arrow: '#0969da', nat: '#bc4c00', label: '#ffffff',
  role: { 'pod-nic': '#0550ae', veth: '#1a7f37', bridge: '#0969da', vxlan: '#8250df', ipip: '#8250df', underlay: '#57606a', other: '#57606a' },
  tone: {
    success: { line: '#1a7f37', fill: '#dafbe1' }, refused: { line: '#9a6700', fill: '#fff8c5' },
    failure: { line: '#cf222e', fill: '#ffebe9' }, unknown: { line: '#6e7781', fill: '#f6f8fa' },
  },
};

const DARK: Palette = {
  bg: '#0d1117', fg: '#e6edf3', muted: '#9198a1', node: '#161b22', nodeLine: '#6e7681', pod: '#10203a', podLine: '#388bfd', dev: '#0d1117',
  idle: '#6e7681', arrow: '#58a6ff', nat: '#ffa657', label: '#0d1117',
  role: { 'pod-nic': '#79c0ff', veth: '#3fb950', bridge: '#58a6ff', vxlan: '#a371f7', ipip: '#a371f7', underlay: '#9198a1', other: '#9198a1' },
  tone: {
    success: { line: '#3fb950', fill: '#12261e' }, refused: { line: '#d29922', fill: '#272115' },
    failure: { line: '#f85149', fill: '#25171c' }, unknown: { line: '#9198a1', fill: '#161b22' },
  },
};

const ROLES = Object.keys(LIGHT.role) as DeviceRole[];
const TONES = Object.keys(LIGHT.tone) as EndingTone[];

function colours(p: Palette): string {
  return [
    `.bg { fill: ${p.bg}; } text { fill: ${p.fg}; } .sub, .device-detail, .idle-text, .label.branch { fill: ${p.muted}; }`,
    `.group-node { fill: ${p.node}; stroke: ${p.nodeLine}; } .group-pod { fill: ${p.pod}; stroke: ${p.podLine}; } .device { fill: ${p.dev}; }`,
    `.device.idle { stroke: ${p.idle}; } .arrow { stroke: ${p.arrow}; } .head-arrow { fill: ${p.arrow}; }`,
    `.label-box { fill: ${p.label}; stroke: ${p.arrow}; } .label.number { fill: ${p.arrow}; } .label.nat { fill: ${p.nat}; }`,
    ...ROLES.map((r) => `.role-${r} { stroke: ${p.role[r]}; }`),
    ...TONES.map((t) => `.tone-${t} rect { fill: ${p.tone[t].fill}; stroke: ${p.tone[t].line}; } .tone-${t} .ending-title { fill: ${p.tone[t].line}; } .link-${t} { stroke: ${p.tone[t].line}; } .head-${t} { fill: ${p.tone[t].line}; }`),
    `.arrow.missing, .device.missing { stroke: ${p.tone.failure.line}; }`,
  ].join('\n');
}

const STYLE = `
text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.title { font-size: 15px; font-weight: bold; } .sub { font-size: 12px; }
.group-node { stroke-width: 1.5; } .group-pod { stroke-dasharray: 5 3; } .group-label { font-size: 12px; font-weight: bold; }
.device { stroke-width: 2; } .device.idle { stroke-dasharray: 3 3; stroke-width: 1; } .device.missing { stroke-dasharray: 6 3; }
.device-name { font-size: 12px; font-weight: bold; } .device-detail, .idle-text { font-size: 11px; }
.arrow { fill: none; stroke-width: 2; } .arrow.missing { stroke-dasharray: 6 4; } .arrow.no-capture { stroke-dasharray: 2 3; }
.label-box { stroke-width: 0.5; } .label { font-size: 11px; } .label.number, .label.nat { font-weight: bold; }
.ending rect { stroke-width: 2; } .ending-link { fill: none; stroke-width: 1.5; stroke-dasharray: 4 3; }
.ending-title { font-size: 11px; font-weight: bold; } .ending-text { font-size: 11px; }
${colours(LIGHT)}
@media (prefers-color-scheme: dark) {
${colours(DARK)}
}
`;

const n = (v: number) => Math.round(v * 10) / 10;
const polyline = (points: { x: number; y: number }[], dy: number) => points.map((p) => `${n(p.x + MARGIN)},${n(p.y + dy)}`).join(' ');

/** The SVG document for a picture already laid out (pure: the same layout gives the same text). */
export function svgOfLayout(picture: Picture, layout: Layout): string {
  const top = MARGIN + HEADER_LINE * (1 + picture.subtitle.length) + 8;
  const width = Math.ceil(maxOf(picture.subtitle.map((t) => t.length * 12 * 0.62), Math.max(layout.width, picture.title.length * 15 * 0.62)) + 2 * MARGIN);
  const height = Math.ceil(layout.height + top + MARGIN);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="podpath-title">`,
    `<title id="podpath-title">${escapeMarkup(picture.title)}</title>`,
    `<style>${STYLE}</style>`,
    '<defs>',
    ...(['arrow', ...TONES] as const).map(
      (kind) =>
        `<marker id="head-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="head-${kind}" d="M0,0 L10,5 L0,10 z"/></marker>`,
    ),
    '</defs>',
    `<rect class="bg" width="100%" height="100%"/>`,
    `<text class="title" x="${MARGIN}" y="${MARGIN + 12}">${escapeMarkup(picture.title)}</text>`,
    ...picture.subtitle.map((line, i) => `<text class="sub" x="${MARGIN}" y="${MARGIN + 12 + HEADER_LINE * (i + 1)}">${escapeMarkup(line)}</text>`),
  );
  const dx = MARGIN;
  const dy = top;
  for (const g of layout.groups) {
    out.push(
      `<g class="group" data-group="${escapeMarkup(g.group.id)}">`,
      `<rect class="group-${g.group.kind}" x="${n(g.x + dx)}" y="${n(g.y + dy)}" width="${n(g.width)}" height="${n(g.height)}" rx="8"/>`,
      `<text class="group-label" x="${n(g.x + dx + 10)}" y="${n(g.y + dy + 16)}">${escapeMarkup(g.group.label)}</text>`,
      '</g>',
    );
  }
  for (const link of layout.endingLinks) {
    out.push(`<polyline class="ending-link link-${link.tone}" points="${polyline(link.points, dy)}"/>`);
  }
  for (const a of layout.arrows) {
    const evidence = a.arrow.evidence && a.arrow.evidence !== 'seen' ? ` ${a.arrow.evidence}` : '';
    out.push(
      `<polyline class="arrow${evidence}" data-arrow="${escapeMarkup(a.arrow.numbers.join(','))}" points="${polyline(a.points, dy)}" marker-end="url(#head-${evidence === ' missing' ? 'failure' : 'arrow'})"/>`,
    );
  }
  for (const d of layout.devices) {
    const state = d.device.state === 'idle' || d.device.state === 'missing' ? ` ${d.device.state}` : '';
    const cx = n(d.x + dx + METRICS.padding);
    out.push(
      `<g class="device-box" data-device="${escapeMarkup(d.device.id)}" data-role="${d.device.role}" data-state="${d.device.state}">`,
      `<rect class="device role-${d.device.role}${state}" x="${n(d.x + dx)}" y="${n(d.y + dy)}" width="${n(d.width)}" height="${n(d.height)}" rx="5"/>`,
      `<text class="${state === ' idle' ? 'idle-text' : 'device-name'}" x="${cx}" y="${n(d.y + dy + METRICS.lineHeight)}">${escapeMarkup(d.device.name)}</text>`,
      ...(d.device.detail !== undefined
        ? [`<text class="device-detail" x="${cx}" y="${n(d.y + dy + 2 * METRICS.lineHeight)}">${escapeMarkup(d.device.detail)}</text>`]
        : []),
      '</g>',
    );
  }
  for (const a of layout.arrows) {
    if (!a.label) continue;
    const { x, y, width: w, height: h, lines } = a.label;
    out.push(`<g class="arrow-label"><rect class="label-box" x="${n(x + dx)}" y="${n(y + dy)}" width="${n(w)}" height="${n(h)}" rx="3"/>`);
    lines.forEach((line, i) => {
      out.push(`<text class="label ${line.kind}" x="${n(x + dx + 6)}" y="${n(y + dy + 4 + METRICS.smallLineHeight * (i + 1) - 3)}">${escapeMarkup(line.text)}</text>`);
    });
    out.push('</g>');
  }
  for (const e of layout.endings) {
    out.push(
      `<g class="ending tone-${e.ending.tone}" data-tone="${e.ending.tone}">`,
      `<rect x="${n(e.x + dx)}" y="${n(e.y + dy)}" width="${n(e.width)}" height="${n(e.height)}" rx="4"/>`,
      ...e.lines.map(
        (line, i) =>
          `<text class="${i === 0 ? 'ending-title' : 'ending-text'}" x="${n(e.x + dx + 6)}" y="${n(e.y + dy + 4 + METRICS.smallLineHeight * (i + 1) - 3)}">${escapeMarkup(line)}</text>`,
      ),
      '</g>',
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export async function renderSvg(picture: Picture): Promise<string> {
  return svgOfLayout(picture, await layoutPicture(picture));
}

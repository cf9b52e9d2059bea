// One self-contained HTML file for an incident ticket: the journey's diagram, the verdict of
// every path, the hop list with each step's rule, route or neighbour line and its dump
// file:line, the topology, the warnings and, when captures were given, the explanation.
// No script at all and a Content-Security-Policy that allows none and no network either, so
// the file opens offline and nothing from a dump can run in it; every dump string is escaped.
import type { Explanation } from '../explain/model.ts';
import { renderText as renderExplanationText } from '../explain/render-text.ts';
import { escapeMarkup as e } from '../picture/markup.ts';
import { renderSummary } from '../topology/summary.ts';
import type { Topology } from '../topology/model.ts';
import { formatProbability } from '../trace/probability.ts';
import type { Hop, Step, TracePath, TraceResult } from '../trace/model.ts';
import { formatOuter, formatPacket } from '../picture/scene.ts';
import { formatWarning } from '../util/warning.ts';

export interface ReportInput {
  trace: TraceResult;
  topology: Topology;
  /** The trace's diagram (SVG text), shown as an image. */
  traceSvg: string;
  explanation?: Explanation;
  /** Diagrams of the explained journeys, by connection id. */
  journeySvgs?: { connection: string; svg: string }[];
  /** The command line that made the report, for the record. */
  command: string;
  generatedAt: Date;
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light dark; --fg:#1f2328; --bg:#ffffff; --muted:#656d76; --line:#d0d7de; --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; --code:#f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --bg:#0d1117; --muted:#9198a1; --line:#30363d; --ok:#3fb950; --bad:#f85149; --warn:#d29922; --code:#161b22; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
.meta, .muted { color: var(--muted); }
code, pre, .packet { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: var(--code); padding: .7rem; overflow-x: auto; border-radius: 6px; white-space: pre-wrap; }
.verdict { font-weight: bold; } .tone-success { color: var(--ok); } .tone-failure { color: var(--bad); } .tone-refused, .tone-unknown { color: var(--warn); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
details > summary { cursor: pointer; } .steps { margin: .3rem 0 .6rem 1.2rem; padding: 0; } .steps li { margin: .25rem 0; }
.source { color: var(--muted); font-size: 12px; } .rule { display: block; margin-top: .1rem; }
.diagram { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
@media print { body { margin: 0; max-width: none; } details { break-inside: avoid; } .diagram { max-height: 95vh; } }
`;

const toneOfDisposition = (d: string): string => (d === 'delivered' ? 'success' : d === 'unknown' ? 'unknown' : d === 'rejected' || d === 'no-endpoints' ? 'refused' : 'failure');

const svgImage = (svg: string, alt: string): string =>
  `<img class="diagram" alt="${e(alt)}" src="data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}">`;

function stepItem(step: Step): string {
  const parts = [`<span class="step-text">${e(step.explanation)}</span>`];
  if ((step.type === 'netfilter' && step.action !== 'end-of-chain') || step.type === 'nat') parts.push(`<code class="rule">${e(step.rule)}</code>`);
  if (step.type === 'route' && step.chosen !== undefined) parts.push(`<code class="rule">${e(step.chosen)}</code>`);
  if (step.type === 'nat') for (const d of step.diffs) parts.push(`<code class="rule">${e(`${d.field}: ${d.old ?? '(none)'} → ${d.new ?? '(unknown)'}`)}</code>`);
  if (step.source) parts.push(`<span class="source">${e(`${step.source.file}:${step.source.line}`)}</span>`);
  return `<li data-step="${e(step.type)}">${parts.join(' ')}</li>`;
}

function hopRow(hop: Hop, index: number): string {
  const packet = [formatPacket(hop.packet), ...(hop.outer ? [formatOuter(hop.outer)] : [])].join(' · ');
  const steps = hop.steps.filter((s) => s.type !== 'enter-interface' && s.type !== 'exit-interface');
  return [
    `<tr data-hop="${index + 1}" data-at="${e(hop.at)}" data-interface="${e(hop.interface)}">`,
    `<td>${index + 1}</td><td>${e(hop.at)}</td><td><code>${e(hop.interface)}</code></td>`,
    `<td><span class="packet">${e(packet)}</span>`,
    steps.length > 0 ? `<details><summary>${steps.length} step${steps.length === 1 ? '' : 's'}</summary><ul class="steps">${steps.map(stepItem).join('')}</ul></details>` : '',
    '</td></tr>',
  ].join('');
}

function pathSection(path: TracePath, index: number, total: number): string {
  const tone = toneOfDisposition(path.disposition);
  const title = [`Path ${index + 1} of ${total}`, path.endpoint ? `endpoint ${path.endpoint}` : undefined, `probability ${formatProbability(path.probability)}`]
    .filter(Boolean)
    .join(' · ');
  return [
    `<section class="path" data-path="${index + 1}" data-disposition="${e(path.disposition)}">`,
    `<h3>${e(title)} · <span class="verdict tone-${tone}" data-verdict>${e(path.disposition.toUpperCase())}</span></h3>`,
    `<p>${e(path.reason)}${path.clientSees ? ` <span class="muted">The client sees: ${e(path.clientSees)}.</span>` : ''}</p>`,
    '<table><thead><tr><th>#</th><th>where</th><th>device</th><th>packet and steps</th></tr></thead><tbody>',
    ...path.hops.map(hopRow),
    '</tbody></table></section>',
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const { trace, topology } = input;
  const delivered = trace.paths.filter((p) => p.disposition === 'delivered').length;
  const title = `${trace.query.from} → ${trace.query.to}`;
  const summary = trace.paths
    .map((p, i) => `<li><span class="verdict tone-${toneOfDisposition(p.disposition)}">${e(p.disposition.toUpperCase())}</span> path ${i + 1}${p.endpoint ? ` → ${e(p.endpoint)}` : ''} (${e(formatProbability(p.probability))}): ${e(p.reason)}</li>`)
    .join('\n');
  const warnings = [...new Set([...trace.warnings, ...topology.warnings].map(formatWarning))];
  const out = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>podpath: ${e(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${e(title)}</h1>`,
    `<p class="meta">first packet <code>${e(formatPacket(trace.query.packet))}</code> · ${trace.paths.length} path${trace.paths.length === 1 ? '' : 's'}, ${delivered} delivered · CNI ${e(`${topology.cni.plugin} ${topology.cni.mode}`)} · made by <code>${e(input.command)}</code> on ${e(input.generatedAt.toISOString())}</p>`,
    `<ul class="summary" id="verdicts">${summary}</ul>`,
    '<h2>The journey</h2>',
    svgImage(input.traceSvg, `diagram of ${title}`),
    '<h2>Hop by hop</h2>',
    ...trace.paths.map((p, i) => pathSection(p, i, trace.paths.length)),
  ];
  if (input.explanation) {
    const x = input.explanation;
    out.push(
      '<h2>What the captures show</h2>',
      `<p id="explain-verdict" data-fault="${x.faultFound}">${x.faultFound ? '<span class="verdict tone-failure">trouble found</span>' : '<span class="verdict tone-success">nothing wrong found</span>'} in ${x.captures.length} capture${x.captures.length === 1 ? '' : 's'}, ${x.connections.length} connection${x.connections.length === 1 ? '' : 's'}.</p>`,
      '<ul>',
      ...x.journeys.map((j) => `<li data-journey="${e(j.connection)}" data-journey-verdict="${e(j.verdict)}"><strong>${e(j.connection)}</strong>: ${e(j.verdict)}${j.cause ? ` · ${e(j.cause.text)}` : ''}</li>`),
      '</ul>',
      ...(input.journeySvgs ?? []).map((j) => `<details open><summary>journey of ${e(j.connection)}</summary>${svgImage(j.svg, `journey of ${j.connection}`)}</details>`),
      `<details><summary>the full explanation</summary><pre>${renderExplanationText(x).split('\n').map(e).join('\n')}</pre></details>`,
    );
  }
  out.push(
    '<h2>Topology</h2>',
    `<details><summary>nodes, pods, overlay, services</summary><pre>${renderSummary(topology).split('\n').map(e).join('\n')}</pre></details>`,
    `<h2>Warnings (${warnings.length})</h2>`,
    warnings.length > 0 ? `<details${warnings.length <= 10 ? ' open' : ''}><summary>${warnings.length} warning${warnings.length === 1 ? '' : 's'} from the inputs</summary><ul>${warnings.map((w) => `<li><code>${e(w)}</code></li>`).join('')}</ul></details>` : '<p class="muted">none</p>',
    '<p class="meta">Written by podpath. Every dump line is shown as text; this file runs no script and loads nothing.</p>',
    '</body></html>',
  );
  return out.join('\n') + '\n';
}

// The same picture as Mermaid (renders in GitHub and GitLab markdown) and as Graphviz dot
// (for those who have Graphviz): both lay the graph out themselves, so these writers only
// name boxes and arrows. Everything from a dump is escaped for each language's strings.
import type { EndingTone, Picture, PictureGroup } from './model.ts';
import { arrowLabelLines, endingLines } from './layout.ts';
import { escapeLine as escapeTerminalText } from '../util/escape-text.ts';

const TONE_STYLE: Record<EndingTone, string> = {
  success: 'fill:#dafbe1,stroke:#1a7f37,color:#1a7f37',
  refused: 'fill:#fff8c5,stroke:#9a6700,color:#9a6700',
  failure: 'fill:#ffebe9,stroke:#cf222e,color:#cf222e',
  unknown: 'fill:#f6f8fa,stroke:#6e7781,color:#1f2328',
};

/** Short ids for the writers ('g1', 'd3', 'e2'): names from dumps never become identifiers. */
function idsOf(picture: Picture): Map<string, string> {
  const ids = new Map<string, string>();
  picture.groups.forEach((g, i) => ids.set(g.id, `g${i + 1}`));
  picture.devices.forEach((d, i) => ids.set(d.id, `d${i + 1}`));
  picture.endings.forEach((e, i) => ids.set(e.id, `e${i + 1}`));
  return ids;
}

const childrenOf = (picture: Picture, parent: string | undefined): PictureGroup[] =>
  picture.groups.filter((g) => g.parent === parent);

// ---- Mermaid ----

/** Mermaid's entity codes (#35; …) for every character that could end a string or start markup. */
const mermaidText = (text: string): string => escapeTerminalText(text).replace(/["#&<>|[\]{}`\\]/g, (c) => `#${c.charCodeAt(0)};`);

export function renderMermaid(picture: Picture): string {
  const ids = idsOf(picture);
  const out = ['flowchart TD'];
  const writeGroup = (group: PictureGroup, indent: string): void => {
    out.push(`${indent}subgraph ${ids.get(group.id)}["${mermaidText(group.label)}"]`);
    for (const child of childrenOf(picture, group.id)) writeGroup(child, `${indent}  `);
    for (const d of picture.devices.filter((x) => x.group === group.id)) {
      const label = [d.name, ...(d.detail !== undefined ? [d.detail] : [])].map(mermaidText).join('<br/>');
      out.push(`${indent}  ${ids.get(d.id)}["${label}"]${d.state === 'idle' ? ':::idle' : ''}`);
    }
    for (const e of picture.endings.filter((x) => picture.devices.find((d) => d.id === x.device)?.group === group.id)) {
      out.push(`${indent}  ${ids.get(e.id)}(["${endingLines(e).map(mermaidText).join('<br/>')}"]):::${e.tone}`);
    }
    out.push(`${indent}end`);
  };
  for (const group of childrenOf(picture, undefined)) writeGroup(group, '  ');
  for (const a of picture.arrows) {
    const label = arrowLabelLines(a).map((l) => mermaidText(l.text)).join('<br/>');
    out.push(`  ${ids.get(a.from)} ${a.evidence === 'missing' ? '-.->' : '-->'}|"${label}"| ${ids.get(a.to)}`);
  }
  for (const e of picture.endings) out.push(`  ${ids.get(e.device)} -.- ${ids.get(e.id)}`);
  out.push('  classDef idle stroke-dasharray:3 3,color:#656d76');
  for (const [tone, style] of Object.entries(TONE_STYLE)) out.push(`  classDef ${tone} ${style}`);
  return out.join('\n') + '\n';
}

// ---- Graphviz dot ----

/** A dot double-quoted string: backslashes and quotes escaped, lines joined with \n. */
const dotString = (lines: string[]): string =>
  `"${lines.map((l) => escapeTerminalText(l).replace(/\\/g, '\\\\').replace(/"/g, '\\"')).join('\\n')}"`;

export function renderDot(picture: Picture): string {
  const ids = idsOf(picture);
  const out = [
    'digraph journey {',
    `  label=${dotString([picture.title, ...picture.subtitle])}; labelloc=t; rankdir=TB;`,
    '  node [shape=box, style="rounded", fontname="monospace", fontsize=11];',
    '  edge [fontname="monospace", fontsize=10, color="#0969da"];',
  ];
  const writeGroup = (group: PictureGroup, indent: string): void => {
    out.push(`${indent}subgraph cluster_${ids.get(group.id)} {`);
    out.push(`${indent}  label=${dotString([group.label])}; style=${group.kind === 'pod' ? 'dashed' : 'rounded'};`);
    for (const child of childrenOf(picture, group.id)) writeGroup(child, `${indent}  `);
    for (const d of picture.devices.filter((x) => x.group === group.id)) {
      const style = d.state === 'idle' ? ', style="rounded,dashed", fontcolor="#656d76"' : '';
      out.push(`${indent}  ${ids.get(d.id)} [label=${dotString([d.name, ...(d.detail !== undefined ? [d.detail] : [])])}${style}];`);
    }
    for (const e of picture.endings.filter((x) => picture.devices.find((d) => d.id === x.device)?.group === group.id)) {
      const [fill, stroke] = TONE_STYLE[e.tone].split(',').map((p) => p.split(':')[1]);
      out.push(`${indent}  ${ids.get(e.id)} [label=${dotString(endingLines(e))}, style="filled", fillcolor="${fill}", color="${stroke}"];`);
    }
    out.push(`${indent}}`);
  };
  for (const group of childrenOf(picture, undefined)) writeGroup(group, '  ');
  for (const a of picture.arrows) {
    const style = a.evidence === 'missing' ? ', style=dashed, color="#cf222e"' : '';
    out.push(`  ${ids.get(a.from)} -> ${ids.get(a.to)} [label=${dotString(arrowLabelLines(a).map((l) => l.text))}${style}];`);
  }
  for (const e of picture.endings) out.push(`  ${ids.get(e.device)} -> ${ids.get(e.id)} [style=dotted, arrowhead=none];`);
  out.push('}');
  return out.join('\n') + '\n';
}

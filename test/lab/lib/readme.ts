// samples/<scenario>/README.md, written from the scenario's description and what the
// recording found (expected.json), so it never disagrees with the data beside it.
import type { ExpectedFile } from '../record.ts';
import type { ScenarioSpec } from './spec.ts';

export function scenarioReadme(spec: ScenarioSpec, expected: ExpectedFile): string {
  const lines = [
    `# ${spec.name}`,
    '',
    spec.description,
    '',
    `CNI: ${spec.cni.plugin} ${spec.cni.mode}. Nodes: ${spec.nodes.map((n) => `${n.name} ${n.underlay} (pods ${n.podCIDR})`).join(', ')}.`,
    '',
    '## Connections (first SYN, as recorded)',
    '',
    '| id | from → to | outcome | endpoint | client saw | hops |',
    '|----|-----------|---------|----------|------------|------|',
    ...expected.connections.map((c) => {
      const conn = spec.connections.find((x) => x.id === c.id);
      const hops = c.sightings.map((s) => `${s.at}:${s.interface}`).join(' → ');
      return `| ${c.id} | ${conn?.from ?? '?'} → ${conn?.to ?? '?'}${c.service ? ` (${c.service})` : ''} | ${c.outcome} | ${c.endpoint ?? '—'} | ${c.clientSaw} | ${hops} |`;
    }),
    '',
    'Files: see ../README.md for the layout. Regenerate with `npm run lab` (root).',
    '',
  ];
  return lines.join('\n');
}

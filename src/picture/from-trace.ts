// A trace (every endpoint branch) as one picture: each (machine, device) the packet crosses
// is a device box, consecutive hops are arrows labelled with the packet as the next device
// sees it, NAT steps mark the arrow that leaves the hop where they rewrote the packet, and
// each branch ends in a coloured ending beside its last device. Arrows that several
// branches share (the way to the DNAT) are drawn once.
import type { Disposition, Hop, TracePath, TraceResult } from '../trace/model.ts';
import type { Topology } from '../topology/model.ts';
import { formatProbability } from '../trace/probability.ts';
import type { Branch, EndingTone, Picture, PictureArrow } from './model.ts';
import { PictureScene, formatOuter, formatPacket } from './scene.ts';
import { outcomeOf } from '../trace/outcome.ts';

/** The colour an ending is drawn in: delivered and exits-cluster are successes. */
export function toneOf(disposition: Disposition): EndingTone {
  return outcomeOf(disposition);
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** The hook a chain is attached to: iptables' built-in chains by name, nf_tables base chains from the dumped ruleset. */
function hookOf(topology: Topology, at: string, table: string, chain: string): string | undefined {
  if (BUILTIN_CHAINS.has(chain)) return chain;
  const netns = topology.nodes.find((n) => n.name === at)?.netns ?? topology.pods.find((p) => p.name === at)?.netns;
  const base = netns?.netfilter?.nft?.find((t) => t.name === table)?.chains[chain]?.base;
  return base ? base.hook.toUpperCase() : undefined;
}

/**
 * 'DNAT at nat PREROUTING (KUBE-SEP-…): dst 10.96.0.10 → 192.168.2.12': the hook is the
 * one whose chain the hop's netfilter walk last entered in that table before the NAT rule
 * (a built-in iptables chain, or an nf_tables base chain such as kube-proxy's nat-prerouting).
 */
function natLabels(hop: Hop, topology: Topology): string[] {
  const labels: string[] = [];
  let hook: { table: string; name: string; chain: string } | undefined;
  for (const step of hop.steps) {
    if (step.type === 'netfilter' || step.type === 'nat') {
      const name = hookOf(topology, hop.at, step.table, step.chain);
      if (name !== undefined) hook = { table: step.table, name, chain: step.chain };
    }
    if (step.type !== 'nat') continue;
    const changes = step.diffs.map((d) => `${d.field} ${d.old ?? '?'} → ${d.new ?? '?'}`).join(', ');
    const where = hook === undefined ? `${step.table} ${step.chain}` : hook.chain === step.chain ? `${step.table} ${hook.name}` : `${hook.table} ${hook.name} (${step.chain})`;
    labels.push(`${step.action.toUpperCase()} at ${where}: ${changes}`);
  }
  return labels;
}

function arrowPacket(hop: Hop): string[] {
  const lines = [formatPacket(hop.packet)];
  if (hop.outer) lines.push(formatOuter(hop.outer));
  return lines;
}

function endingTitle(path: TracePath, last: Hop | undefined): string {
  const where = last ? ` at ${last.at} ${last.interface}` : '';
  return path.disposition === 'delivered' ? `DELIVERED${where}` : `${path.disposition.toUpperCase()}${where}`;
}

export function pictureOfTrace(result: TraceResult, topology: Topology): Picture {
  const scene = new PictureScene(topology);
  const several = result.paths.length > 1;
  const arrows = new Map<string, PictureArrow>();

  result.paths.forEach((path, p) => {
    const branch: Branch = { index: p + 1, probability: path.probability, ...(path.endpoint !== undefined ? { endpoint: path.endpoint } : {}) };
    const ids = path.hops.map((hop) => scene.device(hop.at, hop.interface, 'on-path'));
    for (let i = 0; i + 1 < path.hops.length; i++) {
      const from = ids[i]!;
      const to = ids[i + 1]!;
      const next = path.hops[i + 1]!;
      const packet = arrowPacket(next);
      const nat = natLabels(path.hops[i]!, topology);
      const key = [from, to, ...packet, ...nat].join('|');
      const number = several ? `${p + 1}.${i + 1}` : `${i + 1}`;
      const existing = arrows.get(key);
      if (existing) {
        existing.numbers.push(number);
        existing.branches?.push(branch);
      } else {
        arrows.set(key, { id: `a${arrows.size + 1}`, from, to, numbers: [number], packet, nat, ...(several ? { branches: [branch] } : {}) });
      }
    }
    const last = path.hops.at(-1);
    const lastId = ids.at(-1) ?? scene.device(result.query.from, '?', 'on-path');
    const natAtEnd = last ? natLabels(last, topology) : [];
    scene.ending({
      device: lastId,
      tone: toneOf(path.disposition),
      title: endingTitle(path, last),
      detail: [
        ...(several ? [`path ${p + 1}${path.endpoint ? ` → ${path.endpoint}` : ''}, probability ${formatProbability(path.probability)}`] : []),
        ...natAtEnd,
        path.reason,
        ...(path.clientSees ? [`the client sees: ${path.clientSees}`] : []),
      ],
      ...(several ? { branch } : {}),
    });
  });

  // Arrows shared by every branch are not branch-specific.
  for (const arrow of arrows.values()) {
    if (arrow.branches && arrow.branches.length === result.paths.length) delete arrow.branches;
  }
  scene.addIdleDevices();
  const delivered = result.paths.filter((p) => p.disposition === 'delivered').length;
  return scene.picture(
    `${result.query.from} → ${result.query.to}`,
    [`first packet ${formatPacket(result.query.packet)}`, `${result.paths.length} path${result.paths.length === 1 ? '' : 's'}, ${delivered} delivered`],
    [...arrows.values()],
  );
}

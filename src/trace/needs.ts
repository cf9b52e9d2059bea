// The dumps an insufficient-info ending asks for: which command on which node or pod. Kept as
// data on the path (`needs`) so the CLI, --json, the UI and the explainer name the same
// commands; these helpers build and print them.
import type { NetNamespace } from '../topology/model.ts';
import type { DumpCommand, MissingDump } from './model.ts';

/** Everything podpath reads from a node, in the order a person would collect it. */
export const NODE_DUMPS: readonly DumpCommand[] = ['ip addr', 'ip -d link', 'ip route', 'ip neigh', 'bridge fdb show', 'iptables-save'];

/** The `NetNamespace.dumps` kind each command fills. */
const DUMP_KIND: Record<DumpCommand, string> = {
  'ip addr': 'addr',
  'ip -d link': 'link',
  'ip route': 'route',
  'ip rule': 'rule',
  'ip neigh': 'neigh',
  'bridge fdb show': 'fdb',
  'iptables-save': 'iptables',
  'ipset list': 'ipset',
  'ipvsadm -Ln': 'ipvs',
  'kubectl get pods -o wide': 'kubectl',
};

export function needsAt(at: string, commands: readonly DumpCommand[]): MissingDump[] {
  return commands.map((command) => ({ at, command }));
}

/** Of `commands`, those whose dump this namespace was not given (all of them when every one was). */
export function notDumped(ns: NetNamespace, commands: readonly DumpCommand[]): MissingDump[] {
  const absent = commands.filter((c) => !ns.dumps.includes(DUMP_KIND[c]));
  return needsAt(ns.name, absent.length > 0 ? absent : commands);
}

/** "`ip addr` and `ip -d link` on worker-2; `ipvsadm -Ln` on worker-1" */
export function formatNeeds(needs: readonly MissingDump[]): string {
  const byPlace = new Map<string, DumpCommand[]>();
  for (const n of needs) byPlace.set(n.at, [...(byPlace.get(n.at) ?? []), n.command]);
  return [...byPlace].map(([at, commands]) => `${andList(commands.map((c) => `\`${c}\``))} on ${at}`).join('; ');
}

function andList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// The one entry point the tracer, explainer and UI use: inputs (bundle
// directories, loose dump files, pasted transcripts) → Topology.
//
//   read (inputs/read.ts: files → command outputs, with their namespace)
//   → parse (inputs/records.ts + parse/*: outputs → records, per namespace)
//   → build (build/: records → Topology)
import { PodpathError } from '../errors.ts';
import { buildTopology } from './build/index.ts';
import { gatherRecords } from './inputs/records.ts';
import { readInputs } from './inputs/read.ts';
import { conflictMessage } from './inputs/conflicts.ts';
import type { Topology } from './model.ts';

export interface LoadOptions {
  /** Node name for loose dumps and prompts that name no host. */
  node?: string;
  /** Read dumps of one host that disagree about its addresses or CNI as one host anyway (`--merge`). */
  merge?: boolean;
}

/** LoadOptions from a command's --node and --merge, leaving out what was not given. */
export function loadOptionsOf(options: { node?: string | undefined; merge?: boolean | undefined }): LoadOptions {
  return { ...(options.node !== undefined ? { node: options.node } : {}), ...(options.merge === true ? { merge: true } : {}) };
}

/** Two dumps of one host are two machines or two moments (inputs/conflicts.ts): exit 2 unless --merge. */
export class InputConflictError extends PodpathError {
  override name = 'InputConflictError';
}

/** Nothing usable in the inputs; the message says what was expected. */
export class NoTopologyError extends PodpathError {
  override name = 'NoTopologyError';
}

export async function loadTopology(inputs: string[], options: LoadOptions = {}): Promise<Topology> {
  if (inputs.length === 0) throw new NoTopologyError('no inputs given: name a bundle directory, dump files or a transcript');
  const read = await readInputs(inputs, options.node !== undefined ? { node: options.node } : {});
  const gathered = gatherRecords(read.dumps, read.warnings);
  if (gathered.namespaces.length === 0) {
    // The last problem is the one that ended the reading (earlier ones are often side notes).
    const last = read.warnings[read.warnings.length - 1];
    const why = last ? `${last.file}${last.line !== undefined ? `:${last.line}` : ''}: ${last.message}` : 'no node dumps found';
    const more = read.warnings.length > 1 ? ` (and ${read.warnings.length - 1} more problem${read.warnings.length > 2 ? 's' : ''})` : '';
    throw new NoTopologyError(`nothing usable in ${inputs.join(', ')}: ${why}${more}`);
  }
  // Said before anything is built: a merged model of two machines would mislead every answer after it.
  if (gathered.conflicts.length > 0 && options.merge !== true) throw new InputConflictError(conflictMessage(gathered.conflicts));
  const topology = buildTopology(gathered);
  if (topology.nodes.length === 0) {
    // A pasted `kubectl exec POD -- ip a` alone is still worth reading (its interfaces, routes, the
    // trace's first hop): a partial model, with the one warning that says what is missing, first.
    const file = [...(gathered.namespaces[0]?.files ?? [])][0] ?? inputs[0]!;
    topology.warnings.unshift({
      file,
      message: `only pod dumps (${topology.pods.filter((p) => p.netns !== undefined).map((p) => p.name).join(', ')}): no node was read, so the nodes' devices, the routes between them and the services are unknown; add a node's dumps (ip addr, ip route, iptables-save)`,
    });
  }
  return topology;
}

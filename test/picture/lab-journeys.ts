// The lab's recorded connections (samples/*/expected.json, written from the kernel's own
// captures), as the picture tests use them: where the kernel saw each connection's first
// packet, with which addresses, and how it ended.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/run.ts';
import type { Sighting } from '../lab/lib/expected.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import type { TraceRequest } from '../../src/trace/query.ts';
import { pictureOfTrace } from '../../src/picture/from-trace.ts';
import type { Picture } from '../../src/picture/model.ts';

/** Where the kernel saw a connection's first packet: the lab's own record type. */
export type KernelSighting = Pick<Sighting, 'at' | 'interface' | 'src' | 'dst' | 'sport' | 'dport'>;

export interface LabConnection {
  scenario: string;
  id: string;
  from: string;
  to: string;
  via?: string;
  outcome: 'delivered' | 'rejected' | 'timeout' | 'not-sent';
  endpoint?: string;
  /** The datagram's IP total length and DF, for the lab's sized UDP probes. */
  size?: number;
  df?: boolean;
  sightings: KernelSighting[];
}

export const samplesDir = join(repoRoot, 'samples');

export function labConnections(): LabConnection[] {
  const out: LabConnection[] = [];
  for (const scenario of readdirSync(samplesDir).sort()) {
    const file = join(samplesDir, scenario, 'expected.json');
    if (!existsSync(file)) continue;
    const expected = JSON.parse(readFileSync(file, 'utf8')) as { connections: Omit<LabConnection, 'scenario'>[] };
    for (const c of expected.connections) out.push({ scenario, ...c, sightings: c.sightings.filter((s) => s.interface !== 'any') });
  }
  return out;
}

/** The trace arguments that ask podpath about this connection (the client's own source port). */
export function traceArgs(c: LabConnection): string[] {
  const args = [join('samples', c.scenario), '--from', c.from, '--to', c.to];
  // A packet the kernel never sent (EMSGSIZE) has no sighting, and so no source port to give.
  if (c.sightings[0]) args.push('--sport', String(c.sightings[0].sport));
  if (c.size !== undefined) args.push('--size', String(c.size), c.df === false ? '--no-df' : '--df');
  if (c.via) args.push('--via', c.via);
  // A service: draw the branch the kernel took (its probability stays the real one).
  const asked = c.to.replace(/\/(tcp|udp)$/, '');
  if (c.endpoint && c.endpoint !== asked) args.push('--endpoint', c.endpoint);
  return args;
}

const topologies = new Map<string, ReturnType<typeof loadTopology>>();

/** The picture podpath draws of this connection's trace (each scenario's dumps loaded once). */
export async function pictureFor(c: LabConnection): Promise<Picture> {
  const args = traceArgs(c);
  if (!topologies.has(c.scenario)) topologies.set(c.scenario, loadTopology([args[0]!], {}));
  const topology = await topologies.get(c.scenario)!;
  const request: TraceRequest = { from: c.from, to: c.to, ...(c.sightings[0] ? { sport: c.sightings[0].sport } : {}) };
  if (c.size !== undefined) {
    request.size = c.size;
    request.df = c.df !== false;
  }
  if (c.via) request.via = c.via;
  const i = args.indexOf('--endpoint');
  if (i >= 0) request.endpoint = args[i + 1]!;
  return pictureOfTrace(traceQuery(topology, request), topology);
}


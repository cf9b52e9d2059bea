// What `podpath explain` does once commander has parsed it: split the paths into
// captures and dump inputs, build the topology, read the captures, explain, print.
import { UsageError } from '../errors.ts';
import { escapeText } from '../util/escape-text.ts';
import { jsonDocument, versioned } from '../util/json-output.ts';
import type { Topology } from '../topology/model.ts';
import { emptyTopology, type ExplainOptions } from './explain.ts';
import { looksLikeCapture } from './files.ts';
import { explainFiles } from './index.ts';
import { renderText } from './render-text.ts';
import { loadTopologyFrom, tracerFunction } from './links.ts';

export interface ExplainCommandOptions {
  json?: boolean;
  node?: string;
  merge?: boolean;
  /** Parsed by commands/options.ts. */
  vxlanPort?: number[];
  trace: boolean;
  /** 'FILE=NODE:IFACE' (or 'FILE=NODE' for a pcapng naming its interfaces) for captures whose names do not say where they were taken. */
  at?: string[];
  /** text (default), json, or a picture of one connection's journey: svg, mermaid, dot. */
  format?: string;
  /** The connection whose journey a picture draws (default: the first with trouble). */
  connection?: string;
}

const FORMATS = ['text', 'json', 'svg', 'mermaid', 'dot'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(options: ExplainCommandOptions): Format {
  if (options.format === undefined) return options.json ? 'json' : 'text';
  const format = FORMATS.find((f) => f === options.format);
  if (format === undefined) throw new UsageError(`--format ${options.format}: expected one of ${FORMATS.join(', ')}`);
  if (options.json && format !== 'json') throw new UsageError(`--json and --format ${format} ask for two outputs: choose one`);
  return format;
}

/** 'FILE=NODE:IFACE', or 'FILE=NODE' for a pcapng that names its interfaces itself. */
function parseLocations(values: string[] | undefined, captures: string[]): Record<string, { at: string; interface?: string }> {
  const out: Record<string, { at: string; interface?: string }> = {};
  for (const value of values ?? []) {
    const eq = value.lastIndexOf('=');
    const file = value.slice(0, eq);
    const [at, ...rest] = value.slice(eq + 1).split(':');
    const iface = rest.join(':');
    if (eq <= 0 || !at || (rest.length > 0 && !iface)) throw new UsageError(`--at: '${value}' is not FILE=NODE:INTERFACE or FILE=NODE (e.g. capture.pcap=worker-1:eth0)`);
    if (!captures.includes(file)) throw new UsageError(`--at: '${file}' is not one of the captures given`);
    out[file] = iface ? { at, interface: iface } : { at };
  }
  return out;
}

export async function runExplain(paths: string[], options: ExplainCommandOptions): Promise<number> {
  const format = formatOf(options);
  const extraPorts = options.vxlanPort ?? [];
  // `-` is a capture read from stdin (`tcpdump -w - | podpath explain - dumps/`), as for `podpath decode -`.
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('explain: stdin (-) can be given once');
  const captures = paths.filter((p) => p === '-' || looksLikeCapture(p));
  const inputs = paths.filter((p) => !captures.includes(p));
  if (captures.length === 0) throw new UsageError('explain: no capture among the paths (pcap or pcapng files are recognised by their first bytes)');
  const topology: Topology = inputs.length > 0 ? await loadTopologyFrom(inputs, options) : emptyTopology();
  const explainOptions: ExplainOptions & { vxlanPorts: number[]; locations: Record<string, { at: string; interface?: string }> } = {
    vxlanPorts: extraPorts,
    locations: parseLocations(options.at, captures),
  };
  if (options.trace && topology.nodes.length > 0) {
    const trace = await tracerFunction();
    if (trace) explainOptions.trace = trace;
  }
  const explanation = await explainFiles(captures, topology, explainOptions);
  // A damaged capture is still explained up to the damage: say so where scripts and people look.
  const said = new Set<string>();
  for (const c of explanation.captures) {
    if (said.has(c.file)) continue;
    said.add(c.file);
    for (const error of c.errors) process.stderr.write(`podpath: warning: ${escapeText(c.file === '-' ? '<stdin>' : c.file)}: ${escapeText(error)}\n`);
  }
  if (format === 'svg' || format === 'mermaid' || format === 'dot') {
    const { chooseJourney, pictureOfJourney } = await import('../picture/from-journey.ts');
    const { renderPicture } = await import('../picture/index.ts');
    const journey = chooseJourney(explanation, options.connection);
    if (journey === undefined) {
      const known = explanation.journeys.map((j) => j.connection).join(', ');
      throw new UsageError(
        options.connection !== undefined
          ? `--connection ${options.connection}: no such journey (the journeys are ${known || 'none'})`
          : 'explain: no connection journey to draw (give the dumps beside the captures, and captures named or placed with --at)',
      );
    }
    if (options.connection === undefined && explanation.journeys.length > 1) {
      process.stderr.write(`podpath: drawing ${journey.connection} of ${explanation.journeys.length} journeys (--connection ID for another)\n`);
    }
    process.stdout.write(await renderPicture(pictureOfJourney(journey, explanation, topology), format));
  } else if (format === 'json') process.stdout.write(jsonDocument(versioned(explanation)));
  else process.stdout.write(renderText(explanation));
  return explanation.faultFound ? 1 : 0;
}

// Runs what a report needs (topology, trace, the explainer on any captures), draws the
// diagrams and writes the HTML. Returns the exit status: 0 when every path is delivered and
// the captures show nothing wrong.
import { writeFile } from 'node:fs/promises';
import { explainFiles } from '../explain/index.ts';
import { looksLikeCapture } from '../explain/files.ts';
import { tracerFunction } from '../explain/links.ts';
import { pictureOfJourney } from '../picture/from-journey.ts';
import { pictureOfTrace } from '../picture/from-trace.ts';
import { renderSvg } from '../picture/svg.ts';
import { loadOptionsOf, loadTopology } from '../topology/load.ts';
import type { TraceRequest } from '../trace/query.ts';
import { exitStatusOf, traceQuery } from '../trace/trace.ts';
import { UsageError } from '../errors.ts';
import { renderReport } from './html.ts';
import type { Explanation } from '../explain/model.ts';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';

export interface ReportSettings {
  captures: string[];
  node?: string;
  merge?: boolean;
  output?: string;
  command: string;
}

/**
 * When the report says it was made: now, or SOURCE_DATE_EPOCH (seconds) when set, the
 * reproducible-builds convention, so a committed example report can be made again byte for byte.
 */
function reportDate(): Date {
  const epoch = process.env['SOURCE_DATE_EPOCH'];
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
}

/** Journeys drawn in a report, at most: a big capture explains hundreds of connections. */
const MAX_JOURNEY_DIAGRAMS = 12;

/** The report's HTML for a trace already made (and an explanation, when there is one): `podpath report` and the UI's `r`. */
export async function renderReportFor(trace: TraceResult, topology: Topology, explanation: Explanation | undefined, command: string): Promise<string> {
  const traceSvg = await renderSvg(pictureOfTrace(trace, topology));
  const journeySvgs: { connection: string; svg: string }[] = [];
  for (const journey of explanation?.journeys.slice(0, MAX_JOURNEY_DIAGRAMS) ?? []) {
    journeySvgs.push({ connection: journey.connection, svg: await renderSvg(pictureOfJourney(journey, explanation!, topology)) });
  }
  return renderReport({ trace, topology, traceSvg, ...(explanation ? { explanation, journeySvgs } : {}), command, generatedAt: reportDate() });
}

export async function writeReport(inputs: string[], request: TraceRequest, settings: ReportSettings): Promise<number> {
  for (const capture of settings.captures) {
    if (!looksLikeCapture(capture)) throw new UsageError(`--capture ${capture}: not a pcap or pcapng file (recognised by its first bytes)`);
  }
  const topology = await loadTopology(inputs, loadOptionsOf(settings));
  const trace = traceQuery(topology, request);
  const explanation =
    settings.captures.length > 0 ? await explainFiles(settings.captures, topology, { vxlanPorts: [], locations: {}, trace: await tracerFunction() }) : undefined;
  const html = await renderReportFor(trace, topology, explanation, settings.command);
  if (settings.output !== undefined) await writeFile(settings.output, html);
  else process.stdout.write(html);
  const traced = exitStatusOf(trace);
  return traced !== 0 || explanation?.faultFound ? 1 : 0;
}

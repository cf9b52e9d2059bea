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
import { loadTopology } from '../topology/load.ts';
import type { TraceRequest } from '../trace/query.ts';
import { exitStatusOf, traceQuery } from '../trace/trace.ts';
import { UsageError } from '../errors.ts';
import { renderReport } from './html.ts';

export interface ReportSettings {
  captures: string[];
  node?: string;
  output?: string;
  command: string;
}

/** Journeys drawn in a report, at most: a big capture explains hundreds of connections. */
const MAX_JOURNEY_DIAGRAMS = 12;

export async function writeReport(inputs: string[], request: TraceRequest, settings: ReportSettings): Promise<number> {
  for (const capture of settings.captures) {
    if (!looksLikeCapture(capture)) throw new UsageError(`--capture ${capture}: not a pcap or pcapng file (recognised by its first bytes)`);
  }
  const topology = await loadTopology(inputs, settings.node !== undefined ? { node: settings.node } : {});
  const trace = traceQuery(topology, request);
  const traceSvg = await renderSvg(pictureOfTrace(trace, topology));
  let explanation;
  const journeySvgs: { connection: string; svg: string }[] = [];
  if (settings.captures.length > 0) {
    explanation = await explainFiles(settings.captures, topology, { vxlanPorts: [], locations: {}, trace: await tracerFunction() });
    for (const journey of explanation.journeys.slice(0, MAX_JOURNEY_DIAGRAMS)) {
      journeySvgs.push({ connection: journey.connection, svg: await renderSvg(pictureOfJourney(journey, explanation, topology)) });
    }
  }
  const html = renderReport({
    trace,
    topology,
    traceSvg,
    ...(explanation ? { explanation, journeySvgs } : {}),
    command: settings.command,
    generatedAt: new Date(),
  });
  if (settings.output !== undefined) await writeFile(settings.output, html);
  else process.stdout.write(html);
  const traced = exitStatusOf(trace);
  return traced !== 0 || explanation?.faultFound ? 1 : 0;
}

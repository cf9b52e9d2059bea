// `podpath trace <inputs...> --from X --to Y`: follows a connection's first packet hop by hop.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { addTraceOptions, traceRequestOf, type TraceRequestOptions } from './trace-request.ts';

interface TraceOptions extends TraceRequestOptions {
  json?: boolean;
  format?: string;
  verbose?: boolean;
}

/** The width brief text wraps to: the terminal's, else $COLUMNS, else 100. */
function textWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env['COLUMNS']);
  return Number.isInteger(columns) && columns > 0 ? columns : 100;
}

const FORMATS = ['text', 'json', 'svg', 'mermaid', 'dot'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(options: TraceOptions): Format {
  if (options.format === undefined) return options.json ? 'json' : 'text';
  const format = FORMATS.find((f) => f === options.format);
  if (format === undefined) throw new UsageError(`--format ${options.format}: expected one of ${FORMATS.join(', ')}`);
  if (options.json && format !== 'json') throw new UsageError(`--json and --format ${format} ask for two outputs: choose one`);
  return format;
}

export function register(program: Command): void {
  const command = program
    .command('trace')
    .description('follow the first packet of a connection from a pod (or node, or outside client) to a service or IP:port, device by device, through netfilter, routing, bridges and the overlay (exit 0 when every path is delivered, 1 otherwise)')
    .argument('<inputs...>', 'bundle directory, dump files, or a transcript (as for `podpath topology`)')
    .addHelpText(
      'after',
      `
Examples:
  podpath trace samples/seed-flannel --from pod1 --to default/web
  podpath trace bundle/ --from default/client --to svc/api:https -n prod
  podpath trace bundle/ --from pod1 --to web.default.svc.cluster.local:80 --format svg > journey.svg
  podpath trace bundle/ --from worker-1 --to pod2:8080          (host network to a pod)
  podpath trace bundle/ --from 203.0.113.9 --via worker-2 --to 10.74.107.62:30080   (a NodePort from outside)
  podpath trace bundle/ --from pod1 --to 10.96.0.53:53/udp --size 1500 --df

Exit status: 0 every path delivered (or leaves the cluster), 1 a path does not, 2 bad usage or unusable input.`,
    );
  addTraceOptions(command)
    .option('-v, --verbose', 'every step of every hop in a sentence, with its rule, route or neighbour line (the default text is one line per hop and the steps that decided)')
    .option('--explain', 'the same as -v: the path explained step by step')
    .option('--json', 'print the trace as JSON (see docs/trace.md)')
    .option('--format <format>', 'text (default), json, or a picture of the journey: svg, mermaid, dot (see docs/pictures.md)')
    .action(async (inputs: string[], options: TraceOptions) => {
      const format = formatOf(options);
      const request = traceRequestOf(options, 'trace');
      const { loadTopology, loadOptionsOf } = await import('../topology/load.ts');
      const { traceQuery, exitStatusOf } = await import('../trace/trace.ts');
      const { renderTrace, renderTraceJson } = await import('../trace/render.ts');
      const { renderBriefTrace } = await import('../trace/render-brief.ts');
      const topology = await loadTopology(inputs, loadOptionsOf(options));
      const result = traceQuery(topology, request);
      if (format === 'svg' || format === 'mermaid' || format === 'dot') {
        const { pictureOfTrace, renderPicture } = await import('../picture/index.ts');
        process.stdout.write(await renderPicture(pictureOfTrace(result, topology), format));
      } else {
        const verbose = options.verbose === true || (options as { explain?: boolean }).explain === true;
        process.stdout.write(format === 'json' ? renderTraceJson(result) : verbose ? renderTrace(result) : renderBriefTrace(result, textWidth()));
      }
      process.exitCode = exitStatusOf(result);
    });
}

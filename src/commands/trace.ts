// `podpath trace <inputs...> --from X --to Y`: follows a connection's first packet hop by hop.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { traceRequestOf } from './trace-request.ts';

interface TraceOptions {
  from?: string;
  to?: string;
  via?: string;
  endpoint?: string;
  sport?: string;
  size?: string;
  df?: boolean;
  node?: string;
  json?: boolean;
  format?: string;
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
  program
    .command('trace')
    .description('follow the first packet of a connection from a pod (or node, or outside client) to a service or IP:port, device by device, through netfilter, routing, bridges and the overlay (exit 0 when every path is delivered, 1 otherwise)')
    .argument('<inputs...>', 'bundle directory, dump files, or a transcript (as for `podpath topology`)')
    .option('--from <source>', 'pod name, pod IP, node name, or an outside IPv4 address with --via')
    .option('--to <destination>', 'service (namespace/name[:port]) or IP:port, optionally with /tcp or /udp')
    .option('--via <node>', 'for an outside client: the node whose underlay interface the packet arrives on')
    .option('--endpoint <ip:port>', 'follow only the path to this endpoint')
    .option('--sport <port>', 'the client\'s source port (default: left open)')
    .option('--size <bytes>', 'the first packet\'s IP total length in bytes (IP header included: a 1472-byte UDP payload is --size 1500); UDP and ICMP only')
    .option('--df', 'set DF on the sized packet (the default: Linux does path MTU discovery)')
    .option('--no-df', 'clear DF: a packet larger than an MTU on the way is fragmented instead of refused')
    .option('--node <name>', 'node the loose dumps come from')
    .option('--json', 'print the trace as JSON (see docs/trace.md)')
    .option('--format <format>', 'text (default), json, or a picture of the journey: svg, mermaid, dot (see docs/pictures.md)')
    .action(async (inputs: string[], options: TraceOptions) => {
      const format = formatOf(options);
      const request = traceRequestOf(options, 'trace');
      const { loadTopology } = await import('../topology/load.ts');
      const { traceQuery, exitStatusOf } = await import('../trace/trace.ts');
      const { renderTrace, renderTraceJson } = await import('../trace/render.ts');
      const topology = await loadTopology(inputs, options.node !== undefined ? { node: options.node } : {});
      const result = traceQuery(topology, request);
      if (format === 'svg' || format === 'mermaid' || format === 'dot') {
        const { pictureOfTrace, renderPicture } = await import('../picture/index.ts');
        process.stdout.write(await renderPicture(pictureOfTrace(result, topology), format));
      } else {
        process.stdout.write(format === 'json' ? renderTraceJson(result) : renderTrace(result));
      }
      process.exitCode = exitStatusOf(result);
    });
}

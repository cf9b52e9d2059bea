// `podpath trace <inputs...> --from X --to Y`: follows a connection's first packet hop by hop.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';

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
    .action(async (inputs: string[], options: TraceOptions) => {
      if (!options.from) throw new UsageError('trace needs --from <pod|pod IP|node|outside IP with --via>');
      if (!options.to) throw new UsageError('trace needs --to <namespace/service[:port]|IP:port>[/tcp|/udp]');
      const request: import('../trace/query.ts').TraceRequest = { from: options.from, to: options.to };
      if (options.via !== undefined) request.via = options.via;
      if (options.endpoint !== undefined) {
        if (!/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(options.endpoint)) throw new UsageError(`--endpoint ${options.endpoint}: expected IP:port`);
        request.endpoint = options.endpoint;
      }
      if (options.sport !== undefined) {
        const sport = Number(options.sport);
        if (!Number.isInteger(sport) || sport < 1 || sport > 65535) throw new UsageError(`--sport ${options.sport}: expected a port between 1 and 65535`);
        request.sport = sport;
      }
      if (options.size !== undefined) {
        const size = Number(options.size);
        if (!/^\d+$/.test(options.size)) throw new UsageError(`--size ${options.size}: expected the IP total length in bytes`);
        request.size = size;
      }
      if (options.df !== undefined && (options.size !== undefined || options.df === true)) request.df = options.df;
      const { loadTopology } = await import('../topology/load.ts');
      const { traceQuery, exitStatusOf } = await import('../trace/trace.ts');
      const { renderTrace, renderTraceJson } = await import('../trace/render.ts');
      const topology = await loadTopology(inputs, options.node !== undefined ? { node: options.node } : {});
      const result = traceQuery(topology, request);
      process.stdout.write(options.json ? renderTraceJson(result) : renderTrace(result));
      process.exitCode = exitStatusOf(result);
    });
}

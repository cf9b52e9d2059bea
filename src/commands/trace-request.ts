// The trace question as the command line asks it (--from, --to, --via, --endpoint, --sport,
// --size, --df/--no-df, -n), declared and read once for every command that traces: trace,
// report, ui.
import { parsePort } from './options.ts';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { TraceRequest } from '../trace/query.ts';

export interface TraceRequestOptions {
  from?: string;
  to?: string;
  via?: string;
  endpoint?: string;
  sport?: string;
  size?: string;
  /** commander's --df/--no-df pair: true by default, false with --no-df. */
  df?: boolean;
  namespace?: string;
  node?: string;
  merge?: boolean;
}

/** The help text of --merge, the same on every command that reads dumps (topology, trace, explain, report, ui). */
export const MERGE_HELP = 'read dumps of one host that disagree about its addresses or CNI (two machines, or two moments) as one host; without it that is an error (exit 2)';

/** Declares the trace question's options on a command. */
export function addTraceOptions(command: Command): Command {
  return command
    .option('--from <source>', 'where the packet starts: a pod (pod1, default/pod1, pod/pod1) or its IP, a node (host network) by name or address, or an outside IPv4 address with --via')
    .option('--to <destination>', 'a service (default/web[:port], svc/web, web.default.svc[.cluster.local][:port]), a pod with its port (pod2:80), or IP:port; /tcp (default), /udp or /icmp after it')
    .option('-n, --namespace <namespace>', 'the namespace of pod and service names given without one (as kubectl -n)')
    .option('--via <node>', 'for an outside client: the node whose underlay interface the packet arrives on')
    .option('--endpoint <ip:port>', 'follow only the path to this endpoint')
    .option('--sport <port>', 'the client\'s source port (default: left open)')
    .option('--size <bytes>', 'the first packet\'s IP total length in bytes (IP header included: a 1472-byte UDP payload is --size 1500); UDP and ICMP only')
    .option('--df', 'set DF on the sized packet (the default: Linux does path MTU discovery)')
    .option('--no-df', 'clear DF: a packet larger than an MTU on the way is fragmented instead of refused')
    .option('--node <name>', 'node the loose dumps come from')
    .option('--merge', MERGE_HELP);
}

export function traceRequestOf(options: TraceRequestOptions, command: string): TraceRequest {
  if (!options.from) throw new UsageError(`${command} needs --from <pod|pod IP|node|outside IP with --via>`);
  if (!options.to) throw new UsageError(`${command} needs --to <namespace/service[:port]|IP:port>[/tcp|/udp]`);
  const request: TraceRequest = { from: options.from, to: options.to };
  if (options.namespace !== undefined) request.namespace = options.namespace;
  if (options.via !== undefined) request.via = options.via;
  if (options.endpoint !== undefined) {
    if (!/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(options.endpoint)) throw new UsageError(`--endpoint ${options.endpoint}: expected IP:port`);
    request.endpoint = options.endpoint;
  }
  if (options.sport !== undefined) {
    request.sport = parsePort('--sport', options.sport);
  }
  if (options.size !== undefined) {
    if (!/^\d+$/.test(options.size)) throw new UsageError(`--size ${options.size}: expected the IP total length in bytes`);
    request.size = Number(options.size);
  }
  // commander sets df to true unless --no-df is given: only a given size (or --no-df) makes it a choice.
  if (options.df === false || (options.df === true && options.size !== undefined)) request.df = options.df;
  return request;
}

// The trace question as the command line asks it (--from, --to, --via, --endpoint, --sport,
// --size, --df/--no-df),
// read once for every command that traces: trace, report.
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
}

export function traceRequestOf(options: TraceRequestOptions, command: string): TraceRequest {
  if (!options.from) throw new UsageError(`${command} needs --from <pod|pod IP|node|outside IP with --via>`);
  if (!options.to) throw new UsageError(`${command} needs --to <namespace/service[:port]|IP:port>[/tcp|/udp]`);
  const request: TraceRequest = { from: options.from, to: options.to };
  if (options.via !== undefined) request.via = options.via;
  if (options.endpoint !== undefined) {
    if (!/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(options.endpoint)) throw new UsageError(`--endpoint ${options.endpoint}: expected IP:port`);
    request.endpoint = options.endpoint;
  }
  if (options.sport !== undefined) {
    const sport = Number(options.sport);
    if (!/^\d+$/.test(options.sport) || sport < 1 || sport > 65535) throw new UsageError(`--sport ${options.sport}: expected a port between 1 and 65535`);
    request.sport = sport;
  }
  if (options.size !== undefined) {
    if (!/^\d+$/.test(options.size)) throw new UsageError(`--size ${options.size}: expected the IP total length in bytes`);
    request.size = Number(options.size);
  }
  // commander sets df to true unless --no-df is given: only a given size (or --no-df) makes it a choice.
  if (options.df === false || (options.df === true && options.size !== undefined)) request.df = options.df;
  return request;
}

// What a journey is built from, as types only: journey.ts builds it, cause.ts and path.ts read
// it, and none of them imports another for these types.
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';
import type { CaptureInfo } from './model.ts';
import type { AddressBook } from './names.ts';

export interface TraceRequest {
  /** Pod name, node name or address of the client. */
  from: string;
  /** 'ip:port/proto' the client asked for. */
  to: string;
  /** The client's source port as captured, so the modelled packet is the captured one. */
  sport?: number;
  /** A datagram's IP total length as the client sent it (the tracer's --size). */
  size?: number;
  /** Its DF bit (--df / --no-df). */
  df?: boolean;
}

export type TraceFunction = (topology: Topology, request: TraceRequest) => TraceResult | undefined | Promise<TraceResult | undefined>;

export interface JourneyContext {
  topology: Topology;
  names: AddressBook;
  captures: CaptureInfo[];
  trace?: TraceFunction;
  /** Traces already run, by client and destination. */
  traceCache?: Map<string, Promise<TraceResult | undefined>>;
}

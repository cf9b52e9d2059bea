// The explanation of a set of captures in cluster terms: plain data, printed as it
// is by `podpath explain --json` (documented in docs/explain.md) and read by the UI.
import type { FiveTuple, OuterFacts } from './facts.ts';
import type { Disposition, IcmpAnswer, IcmpUnreachable } from '../trace/model.ts';
import type { Warning } from '../util/warning.ts';
import type { PlacementEvidence, Unplaced } from './placement/model.ts';

export type { Place, PlacementEvidence, PlacementKind, Unplaced, UnplacedReason } from './placement/model.ts';

/** A capture file (or one interface of it) and where it was taken, with what placed it there. */
export interface CaptureInfo {
  file: string;
  /** Node or pod name. */
  at?: string;
  /** Interface name, or 'any' for `tcpdump -i any`. */
  interface?: string;
  packets: number;
  /**
   * Set on the parts of a `tcpdump -i any` capture (Linux cooked v2) split by the ifindex each
   * packet carries, named from the node's `ip link` indexes.
   */
  fromAny?: true;
  /** Problems reading it (damage after the packets shown). */
  errors: string[];
  /** What placed it, strongest first (--at, pcapng interface name, SLL2 ifindex, file name, MAC addresses, packet times). */
  placedBy: PlacementEvidence[];
  /** Set when it has no place (it is then explained on its own), or when it does not belong to the dumps. */
  unplaced?: Unplaced;
}

export type AddressKind = 'pod' | 'node' | 'service' | 'vtep' | 'gateway' | 'pod-subnet' | 'outside' | 'unknown';

/** What one address is in the cluster. */
export interface AddressName {
  ip: string;
  kind: AddressKind;
  /** Short name used in sentences: 'pod1', 'worker-1', 'default/web:http', 'flannel.1@worker-1'. */
  name: string;
  /** The node that holds this address (pods, VTEPs, gateways). */
  node?: string;
  /** One line: "pod pod1 on worker-1 (veth6b3caf45)". */
  description: string;
}

export interface Endpoint {
  ip: string;
  port?: number;
  /** The address's name ('pod2', 'worker-1', '10.96.0.10'). */
  name: string;
}

export type TcpState =
  | 'syn-unanswered' // SYNs, nothing back
  | 'refused' // SYN answered by RST
  | 'handshake-incomplete' // SYN-ACK seen but no final ACK
  | 'established' // handshake done, no close seen
  | 'closed' // FIN both ways
  | 'half-closed' // FIN one way only
  | 'reset' // RST after the handshake
  | 'mid-stream'; // the capture began after the handshake

export interface TcpSummary {
  state: TcpState;
  /** Initial sequence number of the client's SYN (kept through NAT: ties hops together). */
  isn?: number;
  syns: number;
  /** SYNs sent again with the same ISN (in one capture: true retransmissions). */
  synRetransmissions: number;
  synAck: boolean;
  handshakeComplete: boolean;
  bytesToServer: number;
  bytesToClient: number;
  finFromClient: boolean;
  finFromServer: boolean;
  /** Who reset the connection, when someone did. */
  resetBy?: 'client' | 'server';
}

export interface HttpExchange {
  /** "GET /" */
  request: string;
  host?: string;
  requestFrame: number;
  /** "200 OK", absent when no response was seen. */
  response?: string;
  status?: number;
  responseFrame?: number;
}

/** One flow inside one capture (both directions). */
export interface CaptureFlow {
  capture: number;
  client: FiveTupleEnd;
  server: FiveTupleEnd;
  proto: FiveTuple['proto'];
  packets: number;
  /**
   * Packets that are the same packet again at another point of the same capture, not a
   * retransmission (`tcpdump -i any` sees a forwarded packet once per interface it crosses).
   */
  copies: number;
  /** Packets the server side sent (0: nobody answered). */
  serverSent: number;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  /** Frames of this flow in this capture. */
  frames: number[];
  /** The tunnel around it, when the capture saw it encapsulated. */
  outer?: OuterFacts;
  tcp?: TcpSummary;
  /** ICMP echo flows: requests and replies (copies at several hops not counted). */
  echo?: { requests: number; replies: number };
  http: HttpExchange[];
  /** ICMP errors in this capture that quote this flow's packets. */
  icmpErrors: IcmpErrorSeen[];
}

/** An ICMP error a capture holds, tied to the flow by the packet it quotes (its inner IP and UDP/TCP header). */
export interface IcmpErrorSeen {
  frame: number;
  /** Seconds since the epoch, on the capturing host's clock. */
  time: number;
  /** The error's own source address: who sent it, as the receiver sees it (after conntrack's NAT reversal). */
  src: string;
  type: number;
  code: number;
  /** Destination unreachable codes by name (the tracer's words), when the code is one podpath's paths end in. */
  kind?: IcmpUnreachable;
  /** Fragmentation needed: the next-hop MTU. */
  mtu?: number;
  text: string;
}

export interface FiveTupleEnd {
  ip: string;
  port?: number;
}

export interface ServiceMatch {
  /** 'default/web:http' */
  name: string;
  clusterIP?: string;
  port: number;
  /** How the service was reached: its cluster IP, a NodePort, or an endpoint directly. */
  via: 'cluster-ip' | 'node-port' | 'external-ip' | 'endpoint';
  /** The endpoint that took the connection (seen after DNAT), when a capture shows it. */
  endpoint?: Endpoint;
  /**
   * Set when no capture shows the connection before DNAT and the service was recognised from
   * the HTTP Host header the client sent (curl writes the address it was given).
   */
  evidence?: 'http-host';
}

/** One connection, merged over every capture that saw it (before and after NAT). */
export interface Connection {
  id: string;
  proto: FiveTuple['proto'];
  client: Endpoint;
  /** The destination the client asked for (a service VIP before DNAT, or the pod). */
  server: Endpoint;
  service?: ServiceMatch;
  /** The most complete TCP view among the captures (the client side's when present). */
  tcp?: TcpSummary;
  /** ICMP echo: requests and replies in the capture that saw most of them. */
  echo?: { requests: number; replies: number };
  http: HttpExchange[];
  packets: number;
  /** One sentence in cluster terms. */
  summary: string;
  /** The same connection as each capture saw it. */
  views: CaptureFlow[];
}

/** A tunnel between two VTEPs, with what it carried. */
export interface Tunnel {
  encapsulation: OuterFacts['encapsulation'];
  vni?: number;
  port?: number;
  from: Endpoint;
  to: Endpoint;
  /** 'flannel.1' / 'vxlan.calico' when the dumps show a device with this VNI and port. */
  device?: string;
  /** Whose overlay this is ('Flannel's overlay'), or why it is odd ('no device in the dumps listens on 4790'). */
  meaning: string;
  /** Ids of the connections carried. */
  carries: string[];
  packets: number;
  captures: number[];
  text: string;
}

/** Where a connection's first packet was seen. */
export interface Sighting {
  at?: string;
  interface?: string;
  capture: number;
  file: string;
  frame: number;
  time: number;
  packet: FiveTuple;
  outer?: OuterFacts;
  /** Copies of the first packet in this capture (SYN retransmissions). */
  repeats: number;
  /** A datagram's IP total length here (its first fragment's, once cut); absent for TCP. */
  length?: number;
  /** A datagram's DF bit here; absent for TCP. */
  df?: boolean;
  /** Fragments the datagram was seen in here, when it was fragmented. */
  fragments?: number;
}

export type HopCheck = 'seen' | 'missing' | 'no-capture';

/** One hop of the model's path, beside what the captures show there. */
export interface ModelHop {
  at: string;
  interface: string;
  packet?: FiveTuple;
  outer?: Omit<OuterFacts, 'encapsulation'> & { encapsulation?: string };
  check: HopCheck;
  /** The sighting at this hop, when there is one. */
  frame?: number;
  capture?: number;
  /** What differs from the model (addresses, outer header), when seen. */
  differences: string[];
}

export type CauseKind =
  | 'fdb-missing'
  | 'neighbour-missing'
  /** Larger than an MTU on the path with DF set (the trace's fragmentation-needed / message-too-long). */
  | 'packet-too-big'
  | 'no-route'
  | 'forward-drop'
  | 'rejected'
  | 'vxlan-port-mismatch'
  | 'no-endpoints'
  | 'unknown';

export interface Cause {
  kind: CauseKind;
  /** Node whose dumps show the cause. */
  node: string;
  text: string;
  /** The dump line, when there is one to point at. */
  source?: { file: string; line: number };
  /** The ICMP error the kernel answers the client with there, as the tracer models it. */
  answer?: IcmpAnswer;
}

/**
 * How a journey ends beside the model. `lost`: the packet disappeared and nothing came back;
 * `rejected`: the client was told, by an ICMP error quoting its first packet (a REJECT rule,
 * fragmentation needed, host unreachable after the ARP timeout …) or a TCP RST — the lab's
 * `rejected` outcome; `refusal` says what came back, in the tracer's `clientSees` words.
 */
export type JourneyVerdict = 'agrees' | 'disagrees' | 'lost' | 'rejected' | 'no-model';

/** A connection's first packet followed across the captures, set beside the model. */
export interface Journey {
  connection: string;
  /** What the first packet is ("SYN", "UDP", "ICMP echo"). */
  firstPacket: string;
  sightings: Sighting[];
  /** The model's hops, when a path could be modelled ('trace' from the tracer, 'dumps' from podpath's own reading). */
  model?: { source: 'trace' | 'dumps'; hops: ModelHop[]; disposition?: Disposition; reason?: string };
  verdict: JourneyVerdict;
  /** For `rejected`: what came back to the client, and where it was captured. */
  refusal?: Refusal;
  /** For a lost (or rejected) packet with a trace: true when the trace stops at the same hop (the dumps foresee the loss). */
  predicted?: boolean;
  /** The last place the packet was seen and the first captured place it should have reached but did not. */
  lostAfter?: { at?: string; interface?: string };
  missingAt?: { at: string; interface: string };
  cause?: Cause;
  /**
   * The SYN-ACK's way back, when the server answered but the client's own capture never saw
   * the answer: where the reply was last seen and the first captured place it missed.
   */
  reply?: ReplyJourney;
  text: string[];
}

export interface Refusal {
  by: 'icmp' | 'rst';
  capture: number;
  frame: number;
  /** What the client got, in the tracer's words ('icmp fragmentation needed (mtu 1450)', 'icmp host unreachable after the ARP timeout'). */
  clientSees: string;
  /** The ICMP error as captured (closest to the client). */
  icmp?: IcmpErrorSeen;
  /** Seconds between the first packet and the answer in that capture (one clock). */
  after?: number;
  /** Whether the tracer foresees this answer (the same kind, source and MTU); absent without a model of it. */
  predicted?: boolean;
  text: string;
}

export interface ReplyJourney {
  firstPacket: 'SYN-ACK';
  sightings: Sighting[];
  verdict: 'lost';
  lostAfter: { at?: string; interface?: string };
  missingAt?: { at: string; interface: string };
  cause?: Cause;
  text: string[];
}

export type TroubleKind =
  | 'syn-unanswered'
  /** A SYN the capture ended too soon after to see answered (flows.ts synCutByCaptureEnd): not a fault. */
  | 'syn-at-capture-end'
  | 'rst'
  | 'icmp-unreachable'
  | 'icmp-error'
  | 'fragment'
  | 'oversize'
  | 'vxlan-unknown-port'
  | 'vxlan-unknown-vni'
  | 'arp-unanswered'
  | 'malformed';

export interface Trouble {
  kind: TroubleKind;
  capture: number;
  frame: number;
  connection?: string;
  text: string;
}

export interface Explanation {
  captures: CaptureInfo[];
  addresses: AddressName[];
  connections: Connection[];
  tunnels: Tunnel[];
  journeys: Journey[];
  troubles: Trouble[];
  /** Packets that belong to no connection (ARP, …), counted by kind. */
  other: Record<string, number>;
  /** Warnings from the dumps (topology) and the captures (formatted by util/warning.ts formatWarning). */
  warnings: Warning[];
  /** True when a journey disagrees with the model or a sign of trouble was found. */
  faultFound: boolean;
}

// Where a capture was taken, and what says so. A capture is one place (node or pod,
// interface) on a packet's way; the explainer can line captures up as hops only once
// each has a place. The evidence is kept with the place so the output can say why.
//
// Strength, strongest first (docs/explain.md "Where a capture was taken"):
//   --at  >  pcapng interface name / SLL2 ifindex  >  file name  >  the frames' MAC addresses

/** One place a packet can be seen: an interface of a node's or a pod's namespace. */
export interface Place {
  /** Node or pod name. */
  at: string;
  interface: string;
}

/** Where one frame is seen, by index into L2Map.places, with how far along its way (0: the sender's own interface). */
export type Sightings = Map<number, number>;

/** What placed a capture (or one part of it). */
export type PlacementKind =
  | 'at' // --at FILE=NODE:IFACE on the command line
  | 'file-name' // the file's name holds a node or pod name and one of its interfaces
  | 'pcapng-interface' // the pcapng Interface Description Block's if_name / if_description
  | 'sll2-ifindex' // Linux cooked v2's interface index, named by the node's `ip link`
  | 'mac-addresses' // the frames' Ethernet addresses, against the dumps' interfaces
  | 'outer-addresses' // tunnelled packets' outer IP addresses, against the nodes' underlay addresses
  | 'timing'; // two ends of one wire told apart by which saw the packets first

export interface PlacementEvidence {
  by: PlacementKind;
  /** One line for people: "SLL2 interface index 5 = flannel.1 in worker-1's ip link". */
  text: string;
}

/** Why a capture has no place (it is still explained on its own). */
export type UnplacedReason =
  | 'empty' // no packets: only its name or --at can place it
  | 'ambiguous' // the evidence fits several places equally
  | 'no-evidence' // neither name, interface data nor frames say anything
  | 'foreign'; // none of its addresses is in the dumps

export interface Unplaced {
  reason: UnplacedReason;
  text: string;
}

/** The words for each kind, as `placed by: …` prints them. */
export function placementLabel(kind: PlacementKind): string {
  switch (kind) {
    case 'at':
      return '--at';
    case 'file-name':
      return 'file name';
    case 'pcapng-interface':
      return 'pcapng interface name';
    case 'sll2-ifindex':
      return 'SLL2 interface index';
    case 'mac-addresses':
      return 'MAC addresses';
    case 'outer-addresses':
      return 'outer addresses';
    case 'timing':
      return 'packet times';
    default: {
      const unhandled: never = kind;
      return unhandled;
    }
  }
}

/** One capture (or one interface of it) with where it was placed and the evidence. */
export interface PlacedPart {
  at?: string;
  interface?: string;
  /** A part of a `tcpdump -i any` capture split by the SLL2 ifindex. */
  fromAny?: true;
  /**
   * Which of the capture's packets this part holds: '' for all of them, else one pcapng
   * interface or one SLL2 ifindex (interface-data.ts nameStream / indexStream). The explainer
   * groups each possible part's packets while reading and keeps the parts placement chose.
   */
  stream: string;
  packets: number;
  placedBy: PlacementEvidence[];
  unplaced?: Unplaced;
}

// A journey as a picture, before any layout: the machines as boxes holding their devices,
// the packet's path as numbered arrows device to device, the NAT rewrites where they
// happen and the ending where it happens. Built from a trace (src/picture/from-trace.ts) or
// from the explainer's journeys (from-journey.ts); drawn as SVG, Mermaid or Graphviz dot by
// the writers beside this file. Plain data, no drawing concerns.
import type { Outcome } from '../trace/outcome.ts';

/** A machine or a pod: a box that holds devices (a pod's box sits inside its node's). */
export interface PictureGroup {
  id: string;
  label: string;
  kind: 'node' | 'pod';
  /** The node box a pod box sits in. */
  parent?: string;
}

/** What a device is, for its shape and colour. */
export type DeviceRole = 'pod-nic' | 'veth' | 'bridge' | 'vxlan' | 'ipip' | 'underlay' | 'other';

/** Whether the path uses the device, and (for journeys) what the captures showed there. */
export type DeviceState = 'on-path' | 'idle' | 'seen' | 'missing' | 'no-capture';

export interface PictureDevice {
  id: string;
  group: string;
  /** The device name as the dumps spell it ('eth0', 'flannel.1'). */
  name: string;
  role: DeviceRole;
  /** A second line: an address, a VNI, a MAC. */
  detail?: string;
  state: DeviceState;
}

/** How an ending ends, for its colour: the trace's own outcome (src/trace/outcome.ts). */
export type EndingTone = Outcome;

export interface PictureEnding {
  id: string;
  /** The device where the path ends (the ending is drawn beside it). */
  device: string;
  tone: EndingTone;
  /** 'DELIVERED to pod2:80', 'REJECTED by filter KUBE-SERVICES', 'LOST after flannel.1'. */
  title: string;
  /** Why, in one sentence, and what the client sees. */
  detail: string[];
  /** The branch this ending closes (its number and probability), when there are several. */
  branch?: Branch;
}

export interface Branch {
  /** 1-based path number. */
  index: number;
  /** The share of new connections that take this branch (0..1). */
  probability: number;
  /** 'ip:port' of the endpoint this branch was DNATed to, when it was. */
  endpoint?: string;
}

export interface PictureArrow {
  id: string;
  from: string;
  to: string;
  /** Step numbers along each path that uses this arrow ('3', or '2.3' with branches). */
  numbers: string[];
  /** The packet as it is on this arrow: inner addresses, then the outer header when encapsulated. */
  packet: string[];
  /** NAT rewrites made just before the packet took this arrow ('DNAT at nat PREROUTING: dst 10.96.0.10 → 192.168.2.12'). */
  nat: string[];
  /** Set when only some branches take this arrow. */
  branches?: Branch[];
  /** For journeys: whether the captures saw the packet arrive at the arrow's end. */
  evidence?: 'seen' | 'missing' | 'no-capture';
}

export interface Picture {
  title: string;
  /** Lines under the title: the first packet, the verdict. */
  subtitle: string[];
  groups: PictureGroup[];
  devices: PictureDevice[];
  arrows: PictureArrow[];
  endings: PictureEnding[];
}

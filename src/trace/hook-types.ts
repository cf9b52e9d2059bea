// What one netfilter hook evaluation takes and gives back, as types only: the iptables walker
// (netfilter.ts) and the nf_tables walker (nftables.ts) share them without importing each other.
import type { NetNamespace } from '../topology/model.ts';
import type { Flow, Header } from './flow.ts';
import type { IpsetMembers } from './ipsets.ts';
import type { Hook } from './match.ts';
import type { Step } from './model.ts';
import type { EndpointPick } from './endpoint-pick.ts';

export interface HookInput {
  ns: NetNamespace;
  hook: Hook;
  flow: Flow;
  inIface?: string;
  outIface?: string;
  choose(probability: number): boolean;
  addressType(address: string, limitToIface?: string): string;
  ipset(name: string): IpsetMembers | undefined;
  physdev?: { in?: string; out?: string; bridged: boolean };
  /** MASQUERADE's source: the outgoing interface's address the kernel would pick. */
  masqueradeSource?(header: Header): { outIface: string; address?: string; iface?: string } | undefined;
  redirectAddress?: string;
  /** The endpoint a KUBE-SVC chain's jump to a KUBE-SEP chain picks, as the topology's services say. */
  endpointPick?(svcChain: string, sepChain: string): EndpointPick | undefined;
  /** Run only the chains below this priority (IPVS takes LOCAL_IN packets at 98, before nat INPUT). */
  beforePriority?: number;
  /** Run only the chains at or above this priority (the rest of LOCAL_OUT after IPVS took the packet at -99). */
  fromPriority?: number;
}

export type HookVerdict =
  | { kind: 'accept' }
  | { kind: 'drop'; rule: string; reason: string }
  | { kind: 'reject'; rule: string; reason: string; clientSees: string };

export interface HookEvaluation {
  flow: Flow;
  steps: Step[];
  verdict: HookVerdict;
}

// A Linux bridge (Flannel's cni0) deciding where a frame goes by its destination
// MAC: the bridge's own MAC (or a port's, which the kernel keeps as local
// entries) goes up to the host's IP stack; a MAC learned in the FDB (`bridge
// fdb show … master cni0`) leaves by that port; an unknown one is flooded.
import type { NetNamespace } from '../topology/model.ts';
import type { BridgeStep } from './model.ts';
import { interfaceOf } from './cluster.ts';

export interface BridgeDecision {
  result: 'local' | 'forward' | 'flood';
  port?: string;
  step: BridgeStep;
}

export function bridgePorts(ns: NetNamespace, bridge: string): string[] {
  const listed = ns.bridges.find((b) => b.name === bridge)?.ports ?? [];
  const enslaved = ns.interfaces.filter((i) => i.master === bridge).map((i) => i.name);
  return [...new Set([...listed, ...enslaved])];
}

export function bridgeDecide(ns: NetNamespace, bridge: string, mac: string | undefined, fallbackPort?: string): BridgeDecision {
  const base = { type: 'bridge' as const, bridge, mac: mac ?? 'unknown' };
  const lower = mac?.toLowerCase();
  const own = interfaceOf(ns, bridge)?.mac?.toLowerCase();
  const ports = bridgePorts(ns, bridge);
  if (lower && (lower === own || ports.some((p) => interfaceOf(ns, p)?.mac?.toLowerCase() === lower))) {
    return { result: 'local', step: { ...base, result: 'local', explanation: `${bridge} sees its own MAC ${mac} as the destination and passes the frame up to ${ns.name}'s IP stack` } };
  }
  const entry = lower ? ns.fdb.find((e) => e.mac.toLowerCase() === lower && e.master === bridge && ports.includes(e.dev)) : undefined;
  if (entry) {
    return {
      result: 'forward',
      port: entry.dev,
      step: { ...base, port: entry.dev, result: 'forward', source: entry.source, explanation: `${bridge}'s forwarding table has ${mac} on port ${entry.dev}, so the frame leaves by ${entry.dev}` },
    };
  }
  const decision: BridgeDecision = {
    result: 'flood',
    step: {
      ...base,
      result: 'flood',
      explanation: `${bridge}'s forwarding table in the dumps has no entry for ${mac ?? 'the destination'}; the bridge floods the frame to every port${fallbackPort ? ` and ${fallbackPort}'s pod, which holds the address, takes it` : ''}`,
    },
  };
  if (fallbackPort) {
    decision.port = fallbackPort;
    decision.step.port = fallbackPort;
  }
  return decision;
}

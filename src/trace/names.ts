// Pods, services and nodes named the way kubectl names them, for --from and --to:
// `pod1`, `default/pod1`, `pod/pod1`, `svc/web`, `service/web:http`, `web.default.svc`,
// `web.default.svc.cluster.local:80`, with `-n NAMESPACE` for names without one. A name
// that matches nothing suggests the closest known one ("did you mean default/web?").
import { closest, distance } from 'fastest-levenshtein';
import type { Pod, Service, Topology } from '../topology/model.ts';

export type ObjectKind = 'pod' | 'service' | 'node';

export interface ObjectRef {
  /** Set when the text says it (`pod/…`, `svc/…`, `….svc.cluster.local`). */
  kind?: ObjectKind;
  namespace?: string;
  name: string;
  /** The port (number or port name) after the last colon, when given. */
  port?: string;
}

const KIND_PREFIX: Record<string, ObjectKind> = {
  po: 'pod', pod: 'pod', pods: 'pod',
  svc: 'service', service: 'service', services: 'service',
  no: 'node', node: 'node', nodes: 'node',
};

const DNS_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?$/;

/** Reads a kubectl-style reference; `namespace` (from -n) applies when the text names none. */
export function parseObjectRef(text: string, namespace?: string): ObjectRef {
  let rest = text.trim();
  let kind: ObjectKind | undefined;
  const slash = rest.indexOf('/');
  const prefix = slash > 0 ? KIND_PREFIX[rest.slice(0, slash).toLowerCase()] : undefined;
  if (prefix !== undefined) {
    kind = prefix;
    rest = rest.slice(slash + 1);
  }
  let port: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > 0) {
    port = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const dns = DNS_NAME.exec(rest);
  let ns: string | undefined;
  let name = rest;
  if (dns) {
    kind = 'service';
    name = dns[1]!;
    ns = dns[3]!;
  } else if (rest.includes('/')) {
    [ns, name] = rest.split('/', 2) as [string, string];
  }
  const resolvedNamespace = ns ?? namespace;
  return {
    ...(kind !== undefined ? { kind } : {}),
    ...(resolvedNamespace !== undefined ? { namespace: resolvedNamespace } : {}),
    name,
    ...(port !== undefined && port !== '' ? { port } : {}),
  };
}

/** A pod's name as kubectl prints it with -A: `namespace/name` when the namespace is known. */
export const podRefName = (p: Pod): string => (p.namespace ? `${p.namespace}/${p.name}` : p.name);
export const serviceRefName = (s: Service): string => `${s.namespace}/${s.name}`;

/** Pods the reference names: by name, and by namespace when both the reference and the dumps give one. */
export function podsNamed(topology: Topology, ref: ObjectRef): Pod[] {
  if (ref.kind !== undefined && ref.kind !== 'pod') return [];
  return topology.pods.filter((p) => !p.unnamed && p.name === ref.name && (ref.namespace === undefined || p.namespace === undefined || p.namespace === ref.namespace));
}

/** Services the reference names (any port; the caller picks the port). */
export function servicesNamed(topology: Topology, ref: ObjectRef): Service[] {
  if (ref.kind !== undefined && ref.kind !== 'service') return [];
  return topology.services.filter((s) => s.name === ref.name && (ref.namespace === undefined || s.namespace === ref.namespace));
}

/** " (did you mean default/web?)" when a known name is close to the one typed, else "". */
export function didYouMean(typed: string, known: readonly string[]): string {
  if (known.length === 0 || typed === '') return '';
  const best = closest(typed, [...known]);
  // Close means a typo or two, not a different word: at most a third of the name changed.
  const limit = Math.max(2, Math.min(3, Math.floor(best.length / 3)));
  return distance(typed, best) <= limit && best !== typed ? ` (did you mean ${best}?)` : '';
}

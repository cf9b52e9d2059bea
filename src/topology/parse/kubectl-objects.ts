// Kubernetes objects as kubectl prints them with `-o json` or `-o yaml`: a v1 List (what
// `kubectl get pods -A -o json` and `kubectl get svc,endpointslices -A -o json` print), a typed
// list (PodList …), or one object. One reader over the decoded value (kube-document.ts), so both
// forms read alike. Read, by the API's documented fields (k8s.io/docs/reference/kubernetes-api):
//
//   Pod            metadata.name/namespace/labels, spec.nodeName, spec.hostNetwork,
//                  spec.containers[].ports[] (name, containerPort, protocol: TCP when absent),
//                  status.podIP/podIPs (podpath traces IPv4: the IPv4 one), status.hostIP
//   Service        spec.type (ClusterIP when absent), clusterIP/clusterIPs, externalIPs,
//                  ports[] (name, port, targetPort: a number or a container port's name, the
//                  port when absent; nodePort, 0 meaning none; protocol)
//   EndpointSlice  (discovery.k8s.io/v1) the kubernetes.io/service-name label, addressType,
//                  ports[], endpoints[] (addresses, conditions: ready nil = true, serving nil =
//                  ready, terminating nil = false; nodeName, targetRef)
//   Namespace      metadata.name and labels (namespaceSelector matches them)
//
// NetworkPolicy items are left to policy/parse.ts (the caller runs it too); other kinds are
// named in one warning. A field that cannot be read is a warning with the object's JSON pointer
// (and line, for YAML) and leaves out as little as it can: a bad port drops that port, a pod
// without a name is left out, the rest of the List still counts.
import { isIpv4 } from '../../util/address.ts';
import type { Warning } from '../model.ts';
import { type KubeDocument, type Path, decodeKubeDocuments, pointer } from './kube-document.ts';
import type { KubeContainerPort, KubeNamespace, KubePod, KubeService, KubeServicePort, KubeSource } from './kubectl.ts';
import { type DumpSource, isIP, isPlaceholderAddress } from './tokens.ts';

export interface KubeSliceEndpoint {
  addresses: string[];
  /** After the API's defaults: ready nil = true, serving nil = ready, terminating nil = false. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** targetRef, as `namespace/name` of a Pod. */
  pod?: string;
}

export interface KubeEndpointSlice {
  namespace?: string;
  name?: string;
  /** The kubernetes.io/service-name label: the Service the slice belongs to. */
  service?: string;
  addressType?: string;
  ports: { name?: string; port?: number; protocol: string }[];
  endpoints: KubeSliceEndpoint[];
  source: KubeSource;
}

export interface KubeObjects {
  pods: KubePod[];
  services: KubeService[];
  endpointSlices: KubeEndpointSlice[];
  namespaces: KubeNamespace[];
  /** NetworkPolicy items seen (policy/parse.ts reads them). */
  networkPolicies: number;
  warnings: Warning[];
}

const LIST_KINDS = /^(?:List|PodList|ServiceList|EndpointSliceList|NamespaceList)$/;
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
/** An IANA_SVC_NAME (what a named port must be): lower case, digits, dashes, at most 15. */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

class Reader {
  readonly out: KubeObjects = { pods: [], services: [], endpointSlices: [], namespaces: [], networkPolicies: 0, warnings: [] };
  private readonly skippedKinds = new Map<string, { count: number; path: Path }>();

  constructor(private readonly file: string, private readonly doc: KubeDocument) {}

  warn(path: Path, message: string): void {
    const line = this.doc.lineOf(path);
    const w: Warning = { file: this.file, message: `${pointer(path)}: ${message}` };
    if (line !== undefined) w.line = line;
    this.out.warnings.push(w);
  }

  source(path: Path): KubeSource {
    const src: KubeSource = { file: this.file, pointer: pointer(path) };
    const line = this.doc.lineOf(path);
    if (line !== undefined) src.line = line;
    return src;
  }

  root(value: unknown): void {
    this.top(value);
    this.reportSkipped();
  }

  private top(value: unknown): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => this.item(item, [i]));
      return;
    }
    if (!isObj(value)) {
      this.warn([], 'expected a Kubernetes object or a List of them; not read');
      return;
    }
    const kind = str(value['kind']);
    if ((kind !== undefined && LIST_KINDS.test(kind)) || (kind === undefined && Array.isArray(value['items']))) {
      const items = value['items'];
      if (!Array.isArray(items)) {
        this.warn(['items'], `${kind} without items; not read`);
        return;
      }
      items.forEach((item, i) => this.item(item, ['items', i]));
    } else this.item(value, []);
  }

  private item(value: unknown, path: Path): void {
    if (!isObj(value)) {
      this.warn(path, 'list item is not an object; skipped');
      return;
    }
    let kind = str(value['kind']);
    if (kind === undefined) {
      // kubectl prints keys in order, and `kind` comes after `endpoints`: a paste cut short loses it.
      if (str(value['apiVersion'])?.startsWith('discovery.k8s.io/') && Array.isArray(value['endpoints'])) {
        kind = 'EndpointSlice';
        this.warn(path, 'no kind: read as an EndpointSlice by its apiVersion and endpoints');
      } else {
        this.warn(path, 'an object without kind; skipped');
        return;
      }
    }
    switch (kind) {
      case 'Pod':
        return this.pod(value, path);
      case 'Service':
        return this.service(value, path);
      case 'EndpointSlice':
        return this.endpointSlice(value, path);
      case 'Namespace':
        return this.namespace(value, path);
      case 'NetworkPolicy':
        this.out.networkPolicies++;
        return;
      default: {
        const seen = this.skippedKinds.get(kind);
        if (seen) seen.count++;
        else this.skippedKinds.set(kind, { count: 1, path });
      }
    }
  }

  private reportSkipped(): void {
    for (const [kind, { count, path }] of this.skippedKinds) {
      this.warn(path, `${count} ${kind} object(s): not read (podpath reads Pods, Services, EndpointSlices, Namespaces and NetworkPolicies)`);
    }
  }

  /** metadata.name, namespace and labels; undefined (with a warning) when there is no name. */
  private metadata(value: Obj, path: Path, what: string): { name: string; namespace?: string; labels: Record<string, string> | undefined } | undefined {
    const meta = value['metadata'];
    const name = isObj(meta) ? str(meta['name']) : undefined;
    if (!isObj(meta) || name === undefined || name === '') {
      this.warn([...path, 'metadata'], `${what} without metadata.name; skipped`);
      return undefined;
    }
    const out: { name: string; namespace?: string; labels: Record<string, string> | undefined } = { name, labels: {} };
    const ns = str(meta['namespace']);
    if (ns !== undefined) out.namespace = ns;
    const labels = meta['labels'];
    if (labels !== undefined && labels !== null) {
      if (isObj(labels) && Object.values(labels).every((v) => typeof v === 'string')) out.labels = labels as Record<string, string>;
      else {
        this.warn([...path, 'metadata', 'labels'], `${what} ${name}: labels are not string: string pairs; its labels are left unknown`);
        out.labels = undefined;
      }
    }
    return out;
  }

  private protocol(value: unknown, path: Path, what: string): 'tcp' | 'udp' | 'sctp' | undefined {
    if (value === undefined || value === null) return 'tcp';
    if (typeof value === 'string' && PROTOCOLS.has(value)) return value.toLowerCase() as 'tcp' | 'udp' | 'sctp';
    this.warn(path, `${what}: protocol ${JSON.stringify(value)} is not TCP, UDP or SCTP; that port is left out`);
    return undefined;
  }

  private pod(value: Obj, path: Path): void {
    const meta = this.metadata(value, path, 'Pod');
    if (!meta) return;
    const who = `pod ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
    const pod: KubePod = { name: meta.name, source: this.source(path) };
    if (meta.namespace !== undefined) pod.namespace = meta.namespace;
    if (meta.labels !== undefined) pod.labels = meta.labels;
    const spec = isObj(value['spec']) ? value['spec'] : {};
    const status = isObj(value['status']) ? value['status'] : {};
    const node = str(spec['nodeName']);
    if (node !== undefined && node !== '') pod.node = node;
    if (spec['hostNetwork'] === true) pod.hostNetwork = true;
    const hostIP = str(status['hostIP']);
    if (hostIP !== undefined && isIP(hostIP)) pod.hostIP = hostIP;
    // podIP is the first of podIPs; on an IPv6-first dual-stack pod the IPv4 one is the second.
    const candidates: { ip: string; at: Path }[] = [];
    const podIP = str(status['podIP']);
    if (podIP !== undefined) candidates.push({ ip: podIP, at: [...path, 'status', 'podIP'] });
    const podIPs = status['podIPs'];
    if (Array.isArray(podIPs)) podIPs.forEach((p, i) => {
      const ip = isObj(p) ? str(p['ip']) : undefined;
      if (ip !== undefined) candidates.push({ ip, at: [...path, 'status', 'podIPs', i, 'ip'] });
    });
    for (const { ip, at } of candidates) {
      if (isPlaceholderAddress(ip)) {
        this.warn(at, `${who}: ${ip} is a placeholder or redacted address, not an address: its IP is left out, not guessed`);
        continue;
      }
      if (!isIP(ip)) this.warn(at, `${who}: "${ip.slice(0, 60)}" is not an IP address; left out`);
      else if (pod.ip === undefined && isIpv4(ip)) pod.ip = ip;
    }
    const ports: KubeContainerPort[] = [];
    const containers = spec['containers'];
    if (Array.isArray(containers)) {
      containers.forEach((c, ci) => {
        const list = isObj(c) ? c['ports'] : undefined;
        if (!Array.isArray(list)) return;
        list.forEach((p, pi) => {
          const at = [...path, 'spec', 'containers', ci, 'ports', pi];
          if (!isObj(p) || !isPort(p['containerPort'])) {
            this.warn(at, `${who}: containerPort ${JSON.stringify(isObj(p) ? p['containerPort'] : p)} is not a port number; that port is left out`);
            return;
          }
          const protocol = this.protocol(p['protocol'], at, who);
          if (protocol === undefined) return;
          const port: KubeContainerPort = { port: p['containerPort'], protocol };
          const name = str(p['name']);
          if (name !== undefined) port.name = name;
          ports.push(port);
        });
      });
      pod.containerPorts = ports;
    }
    this.out.pods.push(pod);
  }

  private service(value: Obj, path: Path): void {
    const meta = this.metadata(value, path, 'Service');
    if (!meta) return;
    const who = `service ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`;
    const spec = isObj(value['spec']) ? value['spec'] : {};
    const svc: KubeService = { name: meta.name, externalIPs: [], ports: [], source: this.source(path) };
    if (meta.namespace !== undefined) svc.namespace = meta.namespace;
    svc.type = str(spec['type']) ?? 'ClusterIP';
    const ips = [str(spec['clusterIP']), ...(Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'].map(str) : [])].filter((ip): ip is string => ip !== undefined);
    const v4 = ips.find((ip) => isIpv4(ip));
    if (v4 !== undefined) svc.clusterIP = v4;
    if (Array.isArray(spec['externalIPs'])) svc.externalIPs = spec['externalIPs'].map(str).filter((ip): ip is string => ip !== undefined && isIP(ip));
    const ports = spec['ports'];
    if (Array.isArray(ports)) {
      ports.forEach((p, i) => {
        const at = [...path, 'spec', 'ports', i];
        if (!isObj(p) || !isPort(p['port'])) {
          this.warn(at, `${who}: port ${JSON.stringify(isObj(p) ? p['port'] : p)} is not a port number; that port is left out`);
          return;
        }
        const protocol = this.protocol(p['protocol'], at, who);
        if (protocol === undefined) return;
        const port: KubeServicePort = { port: p['port'], protocol };
        const name = str(p['name']);
        if (name !== undefined && name !== '') port.name = name;
        const target = p['targetPort'];
        // targetPort: a number, a container port's name, or (absent) the same as port.
        if (target === undefined || target === null) port.targetPort = p['port'];
        else if (isPort(target)) port.targetPort = target;
        else if (typeof target === 'string' && /^\d+$/.test(target) && isPort(Number(target))) port.targetPort = Number(target);
        else if (typeof target === 'string' && PORT_NAME.test(target)) port.targetPort = target;
        else this.warn([...at, 'targetPort'], `${who}: targetPort ${JSON.stringify(target)} is neither a port number nor a port name; left unknown`);
        if (isPort(p['nodePort'])) port.nodePort = p['nodePort'];
        svc.ports.push(port);
      });
    }
    this.out.services.push(svc);
  }

  private endpointSlice(value: Obj, path: Path): void {
    const meta = isObj(value['metadata']) ? value['metadata'] : undefined;
    const slice: KubeEndpointSlice = { ports: [], endpoints: [], source: this.source(path) };
    const name = meta ? str(meta['name']) : undefined;
    if (name !== undefined) slice.name = name;
    const ns = meta ? str(meta['namespace']) : undefined;
    if (ns !== undefined) slice.namespace = ns;
    const labels = meta && isObj(meta['labels']) ? meta['labels'] : undefined;
    const service = labels ? str(labels['kubernetes.io/service-name']) : undefined;
    if (service !== undefined) slice.service = service;
    else this.warn(path, `EndpointSlice ${name ?? '(no name)'}: no kubernetes.io/service-name label, so the Service it belongs to is not known`);
    const addressType = str(value['addressType']);
    if (addressType !== undefined) slice.addressType = addressType;
    const ports = value['ports'];
    if (Array.isArray(ports)) ports.forEach((p, i) => {
      if (!isObj(p)) return;
      const protocol = this.protocol(p['protocol'], [...path, 'ports', i], `EndpointSlice ${name ?? ''}`);
      if (protocol === undefined) return;
      const port: KubeEndpointSlice['ports'][number] = { protocol };
      if (isPort(p['port'])) port.port = p['port'];
      const portName = str(p['name']);
      if (portName !== undefined && portName !== '') port.name = portName;
      slice.ports.push(port);
    });
    const endpoints = value['endpoints'];
    if (Array.isArray(endpoints)) endpoints.forEach((e, i) => {
      const at = [...path, 'endpoints', i];
      const addresses = isObj(e) && Array.isArray(e['addresses']) ? e['addresses'].map(str).filter((a): a is string => a !== undefined) : [];
      if (!isObj(e) || addresses.length === 0) {
        this.warn(at, `EndpointSlice ${name ?? ''}: an endpoint without addresses; left out`);
        return;
      }
      const conditions = isObj(e['conditions']) ? e['conditions'] : {};
      const ready = conditions['ready'] !== false;
      const endpoint: KubeSliceEndpoint = {
        addresses,
        ready,
        serving: typeof conditions['serving'] === 'boolean' ? conditions['serving'] : ready,
        terminating: conditions['terminating'] === true,
      };
      const nodeName = str(e['nodeName']);
      if (nodeName !== undefined) endpoint.nodeName = nodeName;
      const ref = e['targetRef'];
      if (isObj(ref) && ref['kind'] === 'Pod' && str(ref['name']) !== undefined) endpoint.pod = `${str(ref['namespace']) ?? ns ?? 'default'}/${str(ref['name'])!}`;
      slice.endpoints.push(endpoint);
    });
    this.out.endpointSlices.push(slice);
  }

  private namespace(value: Obj, path: Path): void {
    const meta = this.metadata(value, path, 'Namespace');
    if (!meta || meta.labels === undefined) return;
    this.out.namespaces.push({ name: meta.name, labels: meta.labels, source: this.source(path) });
  }
}

export function parseKubectlObjects(text: string, source: DumpSource): KubeObjects {
  const decoded = decodeKubeDocuments(text, source);
  const all: KubeObjects = { pods: [], services: [], endpointSlices: [], namespaces: [], networkPolicies: 0, warnings: decoded.warnings };
  for (const doc of decoded.documents) {
    const reader = new Reader(source.file, doc);
    reader.root(doc.value);
    const r = reader.out;
    for (const key of ['pods', 'services', 'endpointSlices', 'namespaces', 'warnings'] as const) {
      for (const x of r[key] as unknown[]) (all[key] as unknown[]).push(x);
    }
    all.networkPolicies += r.networkPolicies;
  }
  return all;
}

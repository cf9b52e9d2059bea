// What kubectl's objects add to the model built from the nodes' dumps: one record per pod however
// many forms named it (the table and the JSON), each service port's type and targetPort, the
// namespaces' labels, and EndpointSlice readiness set beside kube-proxy's rules.
//
// The rules stay the model: they are what the kernel does. kube-proxy programs the endpoints that
// are ready; when none is, those that are serving and terminating (KEP-1669, the default since
// Kubernetes 1.26). An EndpointSlice that says otherwise is a warning: the slice and the dumps are
// from two moments, or kube-proxy has not synced.
import type { KubeNamespace, KubePod, KubeService, KubeServicePort } from '../parse/kubectl.ts';
import type { KubeEndpointSlice } from '../parse/kubectl-objects.ts';
import type { NamespaceLabels, Pod, Service, Warning } from '../model.ts';

/** `/items/3: ` for an object of a JSON List (which has no lines to point at); '' for a table row. */
const pointerNote = (source: { line?: number; pointer?: string }): string => (source.pointer !== undefined && source.pointer !== '/' ? `${source.pointer}: ` : '');

/** One record per pod: a later form fills what an earlier one left out (the table has no container ports). */
export function mergeKubePods(pods: KubePod[]): KubePod[] {
  const byKey = new Map<string, KubePod>();
  const firstByName = new Map<string, KubePod>();
  const out: KubePod[] = [];
  for (const pod of pods) {
    // A table without -A has no namespace column: such a row matches the same name in any namespace.
    const key = `${pod.namespace ?? '?'}/${pod.name}`;
    const earlier = byKey.get(key) ?? (pod.namespace === undefined ? firstByName.get(pod.name) : byKey.get(`?/${pod.name}`));
    if (!earlier) {
      const copy = { ...pod };
      byKey.set(key, copy);
      if (!firstByName.has(pod.name)) firstByName.set(pod.name, copy);
      out.push(copy);
      continue;
    }
    for (const key of ['namespace', 'ip', 'node', 'labels', 'containerPorts', 'hostNetwork', 'hostIP'] as const) {
      if (earlier[key] === undefined && pod[key] !== undefined) (earlier as unknown as Record<string, unknown>)[key] = pod[key];
    }
    if (earlier.namespace !== undefined) byKey.set(`${earlier.namespace}/${earlier.name}`, earlier);
  }
  return out;
}

export function namespaceLabels(namespaces: KubeNamespace[]): NamespaceLabels[] | undefined {
  if (namespaces.length === 0) return undefined;
  const out: NamespaceLabels[] = [];
  for (const ns of namespaces) if (!out.some((n) => n.name === ns.name)) out.push({ name: ns.name, labels: ns.labels, source: ns.source });
  return out;
}

function kubePortOf(service: Service, kube: KubeService): KubeServicePort | undefined {
  const sameProtocol = kube.ports.filter((p) => p.protocol.toLowerCase() === service.protocol);
  if (service.portName !== undefined) return sameProtocol.find((p) => p.name === service.portName);
  return sameProtocol.find((p) => p.port === service.port) ?? (sameProtocol.length === 1 ? sameProtocol[0] : undefined);
}

/** Each service port's type and targetPort from kubectl; a named targetPort is checked against the endpoints' pods. */
export function applyKubeServices(services: Service[], kubeServices: KubeService[], pods: Pod[], warnings: Warning[]): void {
  if (kubeServices.length === 0) return;
  // Indexed: a 10,000-service cluster has as many endpoints as pods.
  const byName = new Map<string, KubeService>();
  for (const k of kubeServices) if (!byName.has(`${k.namespace ?? 'default'}/${k.name}`)) byName.set(`${k.namespace ?? 'default'}/${k.name}`, k);
  const podByIp = new Map<string, Pod>();
  for (const p of pods) if (!p.unnamed && !podByIp.has(p.ip)) podByIp.set(p.ip, p);
  for (const service of services) {
    const kube = byName.get(`${service.namespace}/${service.name}`);
    if (!kube) continue;
    if (kube.type !== undefined) service.type = kube.type;
    const port = kubePortOf(service, kube);
    if (port?.targetPort === undefined) continue;
    service.targetPort = port.targetPort;
    for (const endpoint of service.endpoints) {
      const pod = podByIp.get(endpoint.ip);
      const resolved = typeof port.targetPort === 'number' ? port.targetPort : pod?.containerPorts?.find((c) => c.name === port.targetPort && c.protocol === service.protocol)?.port;
      if (resolved === undefined || resolved === endpoint.port) continue;
      const why = typeof port.targetPort === 'number' ? `targetPort ${port.targetPort}` : `targetPort ${port.targetPort}, which pod ${pod!.name} declares as ${resolved}`;
      warnings.push({
        file: kube.source.file,
        ...(kube.source.line !== undefined ? { line: kube.source.line } : {}),
        message: `${pointerNote(kube.source)}service ${service.namespace}/${service.name}${service.portName ? `:${service.portName}` : ''} says ${why}, but the node's rules send to ${endpoint.ip}:${endpoint.port}; the rules are what the kernel does (the service was changed after the dumps, or kube-proxy has not synced)`,
      });
    }
  }
}

const describe = (e: { ready: boolean; serving: boolean; terminating: boolean }): string => `ready ${e.ready}, serving ${e.serving}, terminating ${e.terminating}`;

/** EndpointSlices' readiness beside the endpoints the rules hold: disagreements are warnings, the rules stay. */
export function checkEndpointSlices(services: Service[], slices: KubeEndpointSlice[], warnings: Warning[]): void {
  if (slices.length === 0) return;
  const byService = new Map<string, KubeEndpointSlice[]>();
  for (const s of slices) {
    if (s.service === undefined || (s.addressType ?? 'IPv4') !== 'IPv4') continue;
    const key = `${s.namespace ?? 'default'}/${s.service}`;
    const list = byService.get(key) ?? [];
    list.push(s);
    byService.set(key, list);
  }
  for (const service of services) {
    const own = byService.get(`${service.namespace}/${service.name}`) ?? [];
    const entries = own.flatMap((slice) => {
      const port = slice.ports.find((p) => (p.name ?? '') === (service.portName ?? '') && p.protocol === service.protocol);
      if (port?.port === undefined) return [];
      return slice.endpoints.map((endpoint) => ({ slice, endpoint, key: `${endpoint.addresses[0]!}:${port.port!}` }));
    });
    if (entries.length === 0) continue;
    const ready = entries.filter((e) => e.endpoint.ready);
    const programmed = ready.length > 0 ? ready : entries.filter((e) => e.endpoint.serving && e.endpoint.terminating);
    const expected = new Set(programmed.map((e) => e.key));
    const inRules = new Set(service.endpoints.map((e) => `${e.ip}:${e.port}`));
    const nodes = service.seenOn.join(', ') || 'the node';
    const name = `${service.namespace}/${service.name}${service.portName ? `:${service.portName}` : ''}`;
    for (const entry of entries) {
      const { slice, endpoint, key } = entry;
      const where = { file: slice.source.file, ...(slice.source.line !== undefined ? { line: slice.source.line } : {}) };
      const slug = `${pointerNote(slice.source)}EndpointSlice ${slice.name ?? '(no name)'} of service ${name}`;
      if (inRules.has(key) && !expected.has(key)) {
        warnings.push({ ...where, message: `${slug}: ${key} is ${describe(endpoint)}, so kube-proxy would not send to it, but the rules on ${nodes} do; the rules are what the kernel does (the slice and the dumps are from two moments, or kube-proxy has not synced)` });
      } else if (!inRules.has(key) && expected.has(key)) {
        warnings.push({ ...where, message: `${slug}: ${key} is ${describe(endpoint)}, but the rules on ${nodes} do not send to it; the rules are what the kernel does (the slice and the dumps are from two moments, or kube-proxy has not synced)` });
      }
    }
  }
}

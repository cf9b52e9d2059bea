// Optional naming sources: `kubectl get pods -A -o wide` and `kubectl get svc -A`.
// Columns are read by the header's positions' names, not by position, since
// `-A` adds NAMESPACE in front and `-o wide` adds NODE, NOMINATED NODE … at the end.
//
//   NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP             NODE       NOMINATED NODE   READINESS GATES
//   default     pod1   1/1     Running   0          3d    192.168.1.7    worker-1   <none>           <none>
//
//   NAMESPACE   NAME   TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE
//   default     web    NodePort    10.96.0.10    <none>        80:30080/TCP   3d
import type { Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isIP, isPlaceholderAddress, placeholderWarning } from './tokens.ts';

const SERVICE_TYPES = new Set(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);

/** Where a kubectl record came from: a table's line, or (JSON) the object's JSON pointer. */
export interface KubeSource {
  file: string;
  /** Left out for JSON, which kubectl prints without positions podpath keeps. */
  line?: number;
  /** `/items/3`: the object inside a List (JSON and YAML forms). */
  pointer?: string;
}

/** A port a pod's container declares (spec.containers[].ports[]): what a named port resolves to. */
export interface KubeContainerPort {
  name?: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface KubePod {
  namespace?: string;
  name: string;
  ip?: string;
  node?: string;
  /** `--show-labels`: the LABELS column (`app=web,role=client`; `<none>` is {}); JSON: metadata.labels. */
  labels?: Record<string, string>;
  /** JSON/YAML only: the containers' ports (undefined when the form does not say them). */
  containerPorts?: KubeContainerPort[];
  /** JSON/YAML only: spec.hostNetwork (the pod's IP is its node's). */
  hostNetwork?: boolean;
  /** JSON/YAML only: status.hostIP, the node's address. */
  hostIP?: string;
  source: KubeSource;
}

export interface KubeServicePort {
  /** JSON/YAML only (the table does not show port names). */
  name?: string;
  port: number;
  /** JSON/YAML only: a number, or a container port's name resolved on each endpoint pod. */
  targetPort?: number | string;
  nodePort?: number;
  protocol: string;
}

export interface KubeService {
  namespace?: string;
  name: string;
  type?: string;
  clusterIP?: string;
  externalIPs: string[];
  ports: KubeServicePort[];
  source: KubeSource;
}

/** `kubectl get ns --show-labels` / `-o json`: a namespace's labels, for NetworkPolicy namespaceSelector. */
export interface KubeNamespace {
  name: string;
  labels: Record<string, string>;
  source: KubeSource;
}

/** Splits a table row on runs of two or more spaces or tabs… unless the row is flattened; then on single spaces. */
function cells(line: string): string[] {
  return line.trim().split(/\s+/).filter((c) => c.length > 0);
}

type Row = { cells: string[]; line: number; raw: string };

function readTable(text: string, source: DumpSource, required: string[], what: string): { header: string[]; rows: Row[]; warnings: Warning[] } {
  const first = source.firstLine ?? 1;
  const lines = text.split('\n');
  const warnings: Warning[] = [];
  let header: string[] | undefined;
  let before: { line: number; text: string } | undefined;
  const rows: Row[] = [];
  lines.forEach((raw, n) => {
    // RESTARTS reads `2 (5d ago)` since kubectl 1.22: one cell, not three.
    const line = raw.replace(/NOMINATED NODE/g, 'NOMINATED_NODE').replace(/READINESS GATES/g, 'READINESS_GATES').replace(/ \(\w+ ago\)/g, '');
    if (line.trim() === '') return;
    const c = cells(line);
    if (!header) {
      if (required.every((r) => c.includes(r))) header = c;
      else before ??= { line: first + n, text: raw.slice(0, 200) };
      return;
    }
    if (required.every((r) => c.includes(r))) return; // the header again (several pastes together)
    if (c.length < header.length - 2) {
      warnings.push({ file: source.file, line: first + n, message: `row has ${c.length} columns, header has ${header.length}; skipped`, text: raw.slice(0, 200) });
      return;
    }
    rows.push({ cells: c, line: first + n, raw: raw.slice(0, 200) });
  });
  if (before) {
    // One line for the table, naming what it looks like when it is a form podpath does not read.
    const message = header ? `not part of the ${what} table, skipped` : missingHeader(before.text, what, required);
    warnings.unshift({ file: source.file, line: before.line, message, text: before.text });
  }
  return { header: header ?? [], rows, warnings };
}

/** Why a kubectl table could not be read, in words a user can act on. */
function missingHeader(firstLine: string, what: string, required: string[]): string {
  const c = cells(firstLine);
  if (c[0] === 'NAME' || (c[0] === 'NAMESPACE' && c[1] === 'NAME')) {
    const missing = required.filter((r) => !c.includes(r));
    const wide = missing.includes('IP') ? ' (run it with `-o wide`)' : '';
    return `${what} table without ${missing.join(', ')} column(s): not read${wide}`;
  }
  if (/^(apiVersion|kind|items):/.test(firstLine.trim()) || firstLine.trim().startsWith('{')) return `${what} as YAML/JSON: not read; paste the \`-o wide\` table`;
  return `expected a kubectl table header with ${required.join(', ')} (${what}); the table is not read`;
}

/** A redacted address in an address column drops the row: a guessed IP would name the wrong pod. */
function placeholderIn(row: Row, value: string | undefined, source: DumpSource, what: string, warnings: Warning[]): boolean {
  if (value === undefined || !isPlaceholderAddress(value)) return false;
  warnings.push(placeholderWarning(source.file, row.line, value, what, row.raw));
  return true;
}

export function parseKubectlPods(text: string, source: DumpSource): ParseResult<KubePod> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'STATUS', 'IP'], 'kubectl get pods');
  const col = (name: string) => header.indexOf(name);
  const records: KubePod[] = [];
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const ready = col('READY') >= 0 ? row.cells[col('READY')] : undefined;
    if (ready !== undefined && !/^\d+\/\d+$/.test(ready)) {
      warnings.push({ file: source.file, line: row.line, message: `not a kubectl get pods row (READY is "${ready}", expected like 1/1), skipped`, text: row.raw });
      continue;
    }
    if (placeholderIn(row, row.cells[col('IP')], source, `pod ${name}`, warnings)) continue;
    const pod: KubePod = { name, source: { file: source.file, line: row.line } };
    const ns = col('NAMESPACE') >= 0 ? row.cells[col('NAMESPACE')] : undefined;
    if (ns) pod.namespace = ns;
    const ip = row.cells[col('IP')];
    if (ip && isIP(ip)) pod.ip = ip;
    const node = col('NODE') >= 0 ? row.cells[col('NODE')] : undefined;
    if (node && node !== '<none>') pod.node = node;
    const labels = col('LABELS') >= 0 ? row.cells[col('LABELS')] : undefined;
    if (labels !== undefined) {
      const read = readLabels(labels);
      if (read) pod.labels = read;
      else warnings.push({ file: source.file, line: row.line, message: `pod ${name}: LABELS "${labels.slice(0, 80)}" is not key=value,…; its labels are left unknown`, text: row.raw });
    }
    records.push(pod);
  }
  return { records, warnings };
}

/** `app=web,pod-template-hash=5d4f8`: keys may hold a prefix (`app.kubernetes.io/name`), values may be empty. */
function readLabels(cell: string): Record<string, string> | undefined {
  if (cell === '<none>') return {};
  const labels: Record<string, string> = {};
  for (const pair of cell.split(',')) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(pair);
    if (!m) return undefined;
    labels[m[1]!] = m[2]!;
  }
  return labels;
}

export function parseKubectlServices(text: string, source: DumpSource): ParseResult<KubeService> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'TYPE', 'CLUSTER-IP', 'PORT(S)'], 'kubectl get svc');
  const col = (name: string) => header.indexOf(name);
  const records: KubeService[] = [];
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const type = row.cells[col('TYPE')] ?? '';
    if (!SERVICE_TYPES.has(type)) {
      warnings.push({ file: source.file, line: row.line, message: `not a kubectl get svc row (TYPE is "${type}"), skipped`, text: row.raw });
      continue;
    }
    if (placeholderIn(row, row.cells[col('CLUSTER-IP')], source, `service ${name}`, warnings)) continue;
    const svc: KubeService = { name, externalIPs: [], ports: [], source: { file: source.file, line: row.line } };
    const ns = col('NAMESPACE') >= 0 ? row.cells[col('NAMESPACE')] : undefined;
    if (ns) svc.namespace = ns;
    svc.type = type;
    const clusterIP = row.cells[col('CLUSTER-IP')];
    if (clusterIP && isIP(clusterIP)) svc.clusterIP = clusterIP;
    const external = row.cells[col('EXTERNAL-IP')] ?? '';
    svc.externalIPs = external.split(',').filter(isIP);
    for (const spec of (row.cells[col('PORT(S)')] ?? '').split(',')) {
      const m = /^(\d+)(?::(\d+))?\/(TCP|UDP|SCTP)$/i.exec(spec);
      if (!m) continue;
      const port: KubeServicePort = { port: Number(m[1]), protocol: m[3]!.toLowerCase() };
      if (m[2]) port.nodePort = Number(m[2]);
      svc.ports.push(port);
    }
    records.push(svc);
  }
  return { records, warnings };
}

/**
 * `kubectl get ns --show-labels`:
 *
 *   NAME          STATUS    AGE       LABELS
 *   default       Active    32m       <none>
 *   development   Active    29s       name=development
 */
export function parseKubectlNamespaces(text: string, source: DumpSource): ParseResult<KubeNamespace> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'STATUS', 'AGE'], 'kubectl get ns');
  const col = (name: string) => header.indexOf(name);
  const records: KubeNamespace[] = [];
  if (header.length > 0 && col('LABELS') < 0) {
    warnings.push({ file: source.file, line: source.firstLine ?? 1, message: 'kubectl get ns without LABELS: namespace labels not read (run it with `--show-labels`, or `kubectl get ns -o json`)' });
    return { records, warnings };
  }
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const status = row.cells[col('STATUS')] ?? '';
    if (status !== 'Active' && status !== 'Terminating') {
      warnings.push({ file: source.file, line: row.line, message: `not a kubectl get ns row (STATUS is "${status}", expected Active or Terminating), skipped`, text: row.raw });
      continue;
    }
    const labels = readLabels(row.cells[col('LABELS')] ?? '');
    if (!labels) {
      warnings.push({ file: source.file, line: row.line, message: `namespace ${name}: LABELS is not key=value,…; its labels are left unknown`, text: row.raw });
      continue;
    }
    records.push({ name, labels, source: { file: source.file, line: row.line } });
  }
  return { records, warnings };
}

export interface KubeNode {
  name: string;
  status?: string;
  roles?: string;
  /** INTERNAL-IP (`-o wide`): the address the node is known by inside the cluster. */
  internalIP?: string;
  externalIP?: string;
  source: { file: string; line: number };
}

/**
 * `kubectl get nodes [-o wide]`:
 *
 *   NAME       STATUS   ROLES           AGE   VERSION   INTERNAL-IP    EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION …
 *   worker-1   Ready    <none>          3d    v1.29.0   10.74.107.63   <none>        Ubuntu 22.04.3 LTS   5.15.0-91 …
 *
 * OS-IMAGE has spaces, so only the columns before it are read by position.
 */
export function parseKubectlNodes(text: string, source: DumpSource): ParseResult<KubeNode> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'STATUS', 'VERSION'], 'kubectl get nodes');
  const col = (name: string) => header.indexOf(name);
  const records: KubeNode[] = [];
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const status = row.cells[col('STATUS')] ?? '';
    if (!/^(?:Ready|NotReady|Unknown|SchedulingDisabled)(?:,\S+)?$/.test(status)) {
      warnings.push({ file: source.file, line: row.line, message: `not a kubectl get nodes row (STATUS is "${status}"), skipped`, text: row.raw });
      continue;
    }
    const node: KubeNode = { name, status, source: { file: source.file, line: row.line } };
    const roles = row.cells[col('ROLES')];
    if (roles !== undefined) node.roles = roles;
    for (const [column, key] of [['INTERNAL-IP', 'internalIP'], ['EXTERNAL-IP', 'externalIP']] as const) {
      const value = col(column) >= 0 ? row.cells[col(column)] : undefined;
      if (value === undefined || value === '<none>') continue;
      if (isIP(value)) node[key] = value;
      else warnings.push(isPlaceholderAddress(value) ? placeholderWarning(source.file, row.line, value, `${column} of node ${name}`, row.raw) : { file: source.file, line: row.line, message: `${column} "${value}" of node ${name} is not an address; left out`, text: row.raw });
    }
    records.push(node);
  }
  return { records, warnings };
}

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
import { type DumpSource, type ParseResult, isIP } from './tokens.ts';

export interface KubePod {
  namespace?: string;
  name: string;
  ip?: string;
  node?: string;
  source: { file: string; line: number };
}

export interface KubeServicePort {
  port: number;
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
  source: { file: string; line: number };
}

/** Splits a table row on runs of two or more spaces or tabs… unless the row is flattened; then on single spaces. */
function cells(line: string): string[] {
  return line.trim().split(/\s+/).filter((c) => c.length > 0);
}

function readTable(text: string, source: DumpSource, required: string[]): { header: string[]; rows: { cells: string[]; line: number }[]; warnings: Warning[] } {
  const first = source.firstLine ?? 1;
  const lines = text.split('\n');
  const warnings: Warning[] = [];
  let header: string[] | undefined;
  const rows: { cells: string[]; line: number }[] = [];
  lines.forEach((raw, n) => {
    const line = raw.replace(/NOMINATED NODE/g, 'NOMINATED_NODE').replace(/READINESS GATES/g, 'READINESS_GATES');
    if (line.trim() === '') return;
    const c = cells(line);
    if (!header) {
      if (required.every((r) => c.includes(r))) header = c;
      else warnings.push({ file: source.file, line: first + n, message: `expected a kubectl table header with ${required.join(', ')}`, text: raw.slice(0, 200) });
      return;
    }
    if (c.length < header.length - 2) {
      warnings.push({ file: source.file, line: first + n, message: `row has ${c.length} columns, header has ${header.length}; skipped`, text: raw.slice(0, 200) });
      return;
    }
    rows.push({ cells: c, line: first + n });
  });
  return { header: header ?? [], rows, warnings };
}

export function parseKubectlPods(text: string, source: DumpSource): ParseResult<KubePod> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'STATUS', 'IP']);
  const col = (name: string) => header.indexOf(name);
  const records: KubePod[] = [];
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const pod: KubePod = { name, source: { file: source.file, line: row.line } };
    const ns = col('NAMESPACE') >= 0 ? row.cells[col('NAMESPACE')] : undefined;
    if (ns) pod.namespace = ns;
    const ip = row.cells[col('IP')];
    if (ip && isIP(ip)) pod.ip = ip;
    const node = col('NODE') >= 0 ? row.cells[col('NODE')] : undefined;
    if (node && node !== '<none>') pod.node = node;
    records.push(pod);
  }
  return { records, warnings };
}

export function parseKubectlServices(text: string, source: DumpSource): ParseResult<KubeService> {
  const { header, rows, warnings } = readTable(text, source, ['NAME', 'TYPE', 'CLUSTER-IP', 'PORT(S)']);
  const col = (name: string) => header.indexOf(name);
  const records: KubeService[] = [];
  for (const row of rows) {
    const name = row.cells[col('NAME')];
    if (!name) continue;
    const svc: KubeService = { name, externalIPs: [], ports: [], source: { file: source.file, line: row.line } };
    const ns = col('NAMESPACE') >= 0 ? row.cells[col('NAMESPACE')] : undefined;
    if (ns) svc.namespace = ns;
    const type = row.cells[col('TYPE')];
    if (type) svc.type = type;
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

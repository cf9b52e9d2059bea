// Records one scenario: builds it, starts the pods' servers, takes iptables-save, starts a
// tcpdump per interface in every namespace (+ `-i any` on one node) and xtables-monitor
// --trace on every node (with a raw-table TRACE rule for SYNs), makes the scenario's real
// connections with curl, stops everything, removes the TRACE rules and takes the other
// dumps (so `ip neigh` and `bridge fdb` show what the traffic taught the kernel).
// The namespaces are deleted afterwards whatever happens.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Background, dumpInNs, run, sleep } from './exec.ts';
import { buildScenario } from './build.ts';
import { Lab } from './lab.ts';
import type { ConnectionSpec, Preparation, ScenarioSpec } from './spec.ts';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyYaml } from 'yaml';

const UDP_PROBE = fileURLToPath(new URL('./udp-probe.py', import.meta.url));
const UDP_ECHO = fileURLToPath(new URL('./udp-echo.py', import.meta.url));

export interface DumpCommand {
  file: string;
  command: string[];
}

export const NODE_DUMPS: DumpCommand[] = [
  { file: 'ip-addr.txt', command: ['ip', 'addr'] },
  { file: 'ip-j-addr.json', command: ['ip', '-j', 'addr'] },
  { file: 'ip-route.txt', command: ['ip', 'route'] },
  { file: 'ip-d-link.txt', command: ['ip', '-d', 'link'] },
  { file: 'ip-neigh.txt', command: ['ip', 'neigh'] },
  { file: 'bridge-fdb.txt', command: ['bridge', 'fdb', 'show'] },
  { file: 'brctl-show.txt', command: ['brctl', 'show'] },
  { file: 'iptables-save.txt', command: ['iptables-save'] },
];
export const POD_DUMPS: DumpCommand[] = NODE_DUMPS.slice(0, 5);
/** kube-proxy's nftables mode lives in `nft list ruleset` (beside iptables-nft's own tables). */
export const NFT_DUMP: DumpCommand = { file: 'nft-ruleset.txt', command: ['nft', 'list', 'ruleset'] };

/** felix's NetworkPolicy peers are ipsets (cali40s:…): Calico scenarios with policies dump them, beside iptables-save. */
export const IPSET_DUMP: DumpCommand = { file: 'ipset-list.txt', command: ['ipset', 'list'] };

/** The dumps taken before the traffic (rules and sets, so the TRACE rules never show). */
export function rulesetDumps(spec: ScenarioSpec): DumpCommand[] {
  const save = NODE_DUMPS.filter((d) => d.file === 'iptables-save.txt');
  return [...save, ...(spec.kubeProxyMode === 'nftables' ? [NFT_DUMP] : []), ...(hasFelixPolicies(spec) ? [IPSET_DUMP] : [])];
}

/** Only felix turns policies into ipsets; Flannel has none to dump. */
export function hasFelixPolicies(spec: ScenarioSpec): boolean {
  return spec.networkPolicies !== undefined && spec.cni.plugin === 'calico';
}

export interface CaptureFile {
  at: string;
  interface: string;
  /** Relative to the scenario directory. */
  file: string;
}

export interface ClientResult {
  id: string;
  command: string[];
  exit: number;
  stdout: string;
  stderr: string;
}

export interface Recording {
  spec: ScenarioSpec;
  dir: string;
  /** The nanosecond captures, read to order sightings; converted into dir/captures by finishCaptures. */
  nanoDir: string;
  captures: CaptureFile[];
  anyCapture: CaptureFile;
  clients: ClientResult[];
}

/** The raw-table rule that makes the kernel trace a connection's SYN (and only SYNs). */
export const TRACE_MATCH = ['-p', 'tcp', '--tcp-flags', 'FIN,SYN,RST,ACK', 'SYN', '-j', 'TRACE'];
/**
 * The UDP probes' destination port, and the rule that traces their datagrams: by destination
 * port, so the outer VXLAN packets (8472, 4789) are never traced.
 */
export const UDP_PROBE_PORT = 5005;
export const TRACE_MATCH_UDP = ['-p', 'udp', '--dport', String(UDP_PROBE_PORT), '-j', 'TRACE'];
const TRACE_MATCHES = [TRACE_MATCH, TRACE_MATCH_UDP];
const TRACE_CHAINS = ['PREROUTING', 'OUTPUT'];
export const DEFAULT_CLIENT_TIMEOUT_SECONDS = 2;
/** curl: 7 could not connect (ICMP, RST), 28 timed out, 52/56 reply trouble; udp-probe.py: 3 socket error, 28 timed out. */
const CURL_ANSWERS = [3, 7, 28, 52, 56];

export function placeDir(dir: string, lab: Lab, at: string): string {
  return lab.isNode(at) ? join(dir, at) : join(dir, lab.spec.pods.find((p) => p.name === at)?.node ?? '?', 'pods', at);
}

export async function recordScenario(spec: ScenarioSpec, dir: string, prefix: string): Promise<Recording> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'captures'), { recursive: true });
  const nanoDir = mkdtempSync(join(tmpdir(), `podpath-lab-pcap-${spec.tag}-`));
  const lab = new Lab(prefix, spec);
  const webRoot = join(tmpdir(), `podpath-lab-www-${prefix}-${spec.tag}-${process.pid}`);
  try {
    buildScenario(lab);
    await startServers(lab, webRoot);
    await prepare(lab, spec.prepare ?? []);
    // iptables-save (and nft's listing) first: the TRACE rules must never appear in the recorded ruleset.
    for (const node of spec.nodes) writeDumps(lab, dir, node.name, rulesetDumps(spec));
    writeClusterObjects(spec, dir);

    const { captures, anyCapture, tools: captureTools } = await startCaptures(lab, nanoDir);
    const monitors = await startTraces(lab);
    const clients: ClientResult[] = [];
    for (const connection of spec.connections) {
      clients.push(connect(lab, connection));
      await sleep(300);
    }
    await sleep(800); // late retransmissions, ICMP errors and FINs still reach the captures
    await Promise.all([...captureTools, ...monitors.map((m) => m.tool)].map((t) => t.stop()));
    removeTraceRules(lab);
    writeFileSync(
      join(dir, 'netfilter-trace.txt'),
      monitors.map((m) => `# node: ${m.node}\n${m.tool.stdout}`).join('\n'),
    );

    for (const node of spec.nodes) writeDumps(lab, dir, node.name, NODE_DUMPS.filter((d) => d.file !== 'iptables-save.txt'));
    for (const pod of spec.pods) writeDumps(lab, dir, pod.name, POD_DUMPS);
    return { spec, dir, nanoDir, captures, anyCapture, clients };
  } catch (error) {
    rmSync(nanoDir, { recursive: true, force: true });
    throw error;
  } finally {
    await lab.teardown();
    rmSync(webRoot, { recursive: true, force: true });
  }
}

/** What kubectl would print for the lab's pods and policies (top-level files of the bundle). */
function writeClusterObjects(spec: ScenarioSpec, dir: string): void {
  if (spec.networkPolicies === undefined) return;
  for (const object of clusterObjects(spec)) writeFileSync(join(dir, object.file), object.text);
}

export function clusterObjects(spec: ScenarioSpec): { file: string; command: string; text: string }[] {
  const policies = spec.networkPolicies;
  if (policies === undefined) return [];
  const list = { apiVersion: 'v1', items: policies.items, kind: 'List', metadata: { resourceVersion: '' } };
  const policyText = policies.output === 'json' ? `${JSON.stringify(list, null, 4)}\n` : stringifyYaml(list);
  return [
    { file: 'kubectl-get-pods.txt', command: 'kubectl get pods -A -o wide --show-labels', text: podsTable(spec) },
    { file: `networkpolicy.${policies.output}`, command: `kubectl get networkpolicy -A -o ${policies.output}`, text: policyText },
  ];
}

/** `kubectl get pods -A -o wide --show-labels`, columns padded as kubectl's printer pads them (3 spaces). */
function podsTable(spec: ScenarioSpec): string {
  const header = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES', 'LABELS'];
  const rows = spec.pods.map((p) => {
    const labels = Object.entries(p.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
    return ['default', p.name, '1/1', 'Running', '0', '5m', p.ip, p.node, '<none>', '<none>', labels === '' ? '<none>' : labels];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('');
  return [line(header), ...rows.map(line), ''].join('\n');
}

function writeDumps(lab: Lab, dir: string, at: string, dumps: DumpCommand[]): void {
  const target = placeDir(dir, lab, at);
  mkdirSync(target, { recursive: true });
  for (const dump of dumps) {
    let text = run(dumpInNs(lab.ns(at), dump.command)).stdout;
    if (!text.endsWith('\n')) text += '\n';
    writeFileSync(join(target, dump.file), text);
  }
}

async function startServers(lab: Lab, webRoot: string): Promise<void> {
  const servers = lab.spec.pods.filter((p) => p.serves !== undefined);
  for (const pod of servers) {
    const root = join(webRoot, pod.name);
    mkdirSync(root, { recursive: true });
    // The page names the pod, so the client's output shows which endpoint answered.
    writeFileSync(join(root, 'index.html'), `${pod.name}\n`);
    lab.startTool(pod.name, 'http.server', ['python3', '-m', 'http.server', String(pod.serves), '--bind', '0.0.0.0'], root);
  }
  for (const pod of lab.spec.pods) {
    if (pod.servesUdp !== undefined) lab.startTool(pod.name, 'udp-echo', ['python3', UDP_ECHO, String(pod.servesUdp)]);
  }
  for (const pod of lab.spec.pods.filter((p) => p.servesUdp !== undefined)) {
    const deadline = Date.now() + 10_000;
    while (!lab.exec(pod.name, ['ss', '-Hlun']).stdout.includes(`:${pod.servesUdp} `)) {
      if (Date.now() > deadline) throw new Error(`${pod.name}: udp echo did not listen on ${pod.servesUdp}`);
      await sleep(50);
    }
  }
  for (const pod of servers) {
    const deadline = Date.now() + 10_000;
    while (!lab.exec(pod.name, ['ss', '-Hltn']).stdout.includes(`:${pod.serves} `)) {
      if (Date.now() > deadline) throw new Error(`${pod.name}: server did not listen on ${pod.serves}`);
      await sleep(50);
    }
  }
}

/** The scenario's preparations, in order (routes, warmed or staled neighbour entries). */
async function prepare(lab: Lab, steps: Preparation[]): Promise<void> {
  for (const step of steps) {
    switch (step.kind) {
      case 'route':
        lab.ip(step.node, 'route', 'add', ...step.route);
        break;
      case 'contact':
        // One datagram to the discard port (there is no ping in the lab): the node resolves the
        // neighbour and fills its header cache; the answer (ICMP port unreachable) does not matter.
        lab.exec(step.node, ['python3', UDP_PROBE, step.to, '9', '50299', '100', 'df', '1'], { okStatuses: [3, 28] });
        break;
      case 'neigh':
        lab.ip(step.node, 'neigh', 'replace', step.ip, 'lladdr', step.mac, 'dev', step.dev, 'nud', step.state);
        break;
    }
  }
  await sleep(50);
}

function interfacesOf(lab: Lab, at: string): string[] {
  const links = JSON.parse(lab.exec(at, ['ip', '-j', 'link']).stdout) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((name) => name !== 'lo');
}

async function startCaptures(lab: Lab, nanoDir: string): Promise<{ captures: CaptureFile[]; anyCapture: CaptureFile; tools: Background[] }> {
  const captures: CaptureFile[] = [];
  const tools: Background[] = [];
  const places = [...lab.spec.nodes.map((n) => n.name), ...lab.spec.pods.map((p) => p.name)];
  const start = (at: string, iface: string): CaptureFile => {
    const name = `${at}__${iface}.pcap`;
    // -U: write each packet as it comes; -Z root: keep writing into root's directory;
    // nanosecond timestamps so hops less than a microsecond apart keep their order.
    tools.push(lab.startTool(at, `tcpdump -i ${iface}`, [
      'tcpdump', '-i', iface, '-n', '-U', '-Z', 'root', '--time-stamp-precision=nano', '-w', join(nanoDir, name),
    ]));
    const file = `captures/${name}`;
    return { at, interface: iface, file };
  };
  for (const at of places) for (const iface of interfacesOf(lab, at)) captures.push(start(at, iface));
  const anyCapture = start(lab.spec.anyCaptureNode, 'any');
  await Promise.all(tools.map((t) => t.waitForStderr(/listening on/)));
  return { captures, anyCapture, tools };
}

async function startTraces(lab: Lab): Promise<{ node: string; tool: Background }[]> {
  // xtables-monitor cannot print native nft rules ("Parsing nftables rule failed"): nftables
  // mode is traced with `nft monitor trace`, which prints every table's rules in nft syntax.
  const nft = lab.spec.kubeProxyMode === 'nftables';
  const monitors = lab.spec.nodes.map((node) => ({
    node: node.name,
    tool: nft
      ? lab.startTool(node.name, 'nft monitor trace', ['nft', 'monitor', 'trace'])
      : lab.startTool(node.name, 'xtables-monitor', ['xtables-monitor', '--trace']),
  }));
  for (const node of lab.spec.nodes) {
    for (const chain of TRACE_CHAINS) for (const match of TRACE_MATCHES) lab.exec(node.name, ['iptables', '-t', 'raw', '-I', chain, '1', ...match]);
  }
  // xtables-monitor prints nothing when it is ready; give it time to join the netlink group.
  await sleep(800);
  for (const m of monitors) if (!m.tool.running) throw new Error(`xtables-monitor on ${m.node} exited: ${m.tool.stderr}`);
  return monitors;
}

function removeTraceRules(lab: Lab): void {
  for (const node of lab.spec.nodes) {
    for (const chain of TRACE_CHAINS) for (const match of TRACE_MATCHES) lab.exec(node.name, ['iptables', '-t', 'raw', '-D', chain, ...match]);
  }
}

export function clientCommand(spec: ScenarioSpec, connection: ConnectionSpec): string[] {
  const timeout = String(spec.clientTimeoutSeconds ?? DEFAULT_CLIENT_TIMEOUT_SECONDS);
  if (connection.proto === 'udp') {
    const [host = '', port = ''] = connection.to.split(':');
    return ['python3', UDP_PROBE, host, port, String(connection.sport), String(connection.size ?? 100), connection.df === false ? 'no-df' : 'df', timeout];
  }
  return ['curl', '-sS', '--max-time', timeout, '--local-port', String(connection.sport), `http://${connection.to}/`];
}

function connect(lab: Lab, connection: ConnectionSpec): ClientResult {
  const command = clientCommand(lab.spec, connection);
  const result = lab.exec(connection.from, command, { okStatuses: CURL_ANSWERS, timeoutMs: 20_000 });
  return { id: connection.id, command, exit: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Writes the committed captures: the same frames as classic microsecond pcap (what
 * pcap-parser and most readers expect), converted by editcap; then drops the nanosecond ones.
 */
export function finishCaptures(recording: Recording): void {
  for (const capture of [...recording.captures, recording.anyCapture]) {
    const source = join(recording.nanoDir, capture.file.replace(/^captures\//, ''));
    run(['editcap', '-F', 'pcap', source, join(recording.dir, capture.file)]);
  }
  rmSync(recording.nanoDir, { recursive: true, force: true });
}

// `kubectl get networkpolicy -A -o yaml` / `-o json` (a List of NetworkPolicy items), a
// NetworkPolicyList, or the policies people write and apply (one or more YAML documents,
// `---` between them) → NetworkPolicy records with the line each came from.
//
//   apiVersion: v1
//   items:
//   - apiVersion: networking.k8s.io/v1
//     kind: NetworkPolicy
//     metadata: {name: deny-all-incoming, namespace: default}
//     spec: {podSelector: {}, policyTypes: [Ingress]}
//   kind: List
//
// JSON is YAML, so one reader (the `yaml` package, which keeps every node's offset) serves both.
// A field that cannot be read becomes a warning with its line; the rule (or, for a broken
// selector of the policy itself, the policy) is left out and the rest still counts.
import { UnreadableInput } from '../../errors.ts';
import { yaml } from '../../util/yaml.ts';
import type { Node as YamlNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Warning } from '../model.ts';
import type { DumpSource, ParseResult } from '../parse/tokens.ts';
import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule, PolicyType, SelectorExpression } from './model.ts';

// yaml's type guards, through the package loaded on first use (util/yaml.ts).
const isMap = (node: unknown): node is YAMLMap => yaml().isMap(node);
const isSeq = (node: unknown): node is YAMLSeq => yaml().isSeq(node);
const isScalar = (node: unknown): node is Scalar => yaml().isScalar(node);

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

/** Where a node sits, as file line. */
type Locate = (node: YamlNode | null | undefined) => number;


export interface PolicyParseOptions {
  /** 'skip': a List that also holds Pods, Services … (read by kubectl-objects.ts) says nothing of them here. */
  otherKinds?: 'warn' | 'skip';
}

export function parseNetworkPolicies(text: string, source: DumpSource, options: PolicyParseOptions = {}): ParseResult<NetworkPolicy> {
  const first = source.firstLine ?? 1;
  const counter = new (yaml().LineCounter)();
  const docs = yaml().parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
  const locate: Locate = (node) => (node?.range ? counter.linePos(node.range[0]).line + first - 1 : first);
  const records: NetworkPolicy[] = [];
  const warnings: Warning[] = [];
  const warn = (line: number, message: string) => warnings.push({ file: source.file, line, message });
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    // One warning per broken document: its later errors follow from the first.
    const error = doc.errors[0];
    if (error !== undefined) {
      warn(counter.linePos(error.pos[0]).line + first - 1, `YAML: ${error.message.split('\n')[0]}; this document is not read`);
      continue;
    }
    const root = doc.contents;
    if (root === null) continue;
    if (!isMap(root)) {
      warn(locate(root), 'expected a NetworkPolicy or a List of them; skipped');
      continue;
    }
    const kind = scalarString(root.get('kind', true));
    if (kind === 'List' || kind === 'NetworkPolicyList') {
      const items = root.get('items', true);
      if (!isSeq(items)) {
        warn(locate(root), `${kind} without items; skipped`);
        continue;
      }
      for (const item of items.items) readItem(item as YamlNode, locate, records, warn, options);
    } else readItem(root, locate, records, warn, options);
  }
  // The readers know lines only; every record names the file it came from.
  for (const policy of records) {
    policy.source.file = source.file;
    for (const rule of [...policy.ingress, ...policy.egress]) rule.source.file = source.file;
  }
  return { records, warnings };
}

function readItem(node: YamlNode, locate: Locate, records: NetworkPolicy[], warn: (line: number, message: string) => void, options: PolicyParseOptions): void {
  if (!isMap(node)) {
    warn(locate(node), 'list item is not an object; skipped');
    return;
  }
  const kind = scalarString(node.get('kind', true));
  if (kind !== 'NetworkPolicy') {
    if (options.otherKinds === 'skip') return;
    // A List of mixed objects (`kubectl get all,netpol -o yaml`): only the policies are read.
    warn(locate(node), `${kind === undefined ? 'an object without kind' : `kind ${kind}`}: not a NetworkPolicy; skipped`);
    return;
  }
  try {
    const policy = readPolicy(node, locate, warn);
    records.push(policy);
  } catch (error) {
    if (!(error instanceof UnreadableInput)) throw error;
    warn(error.line, `NetworkPolicy not read: ${error.message}`);
  }
}

function readPolicy(node: YAMLMap, locate: Locate, warn: (line: number, message: string) => void): NetworkPolicy {
  const line = locate(node);
  const metadata = node.get('metadata', true);
  if (!isMap(metadata)) throw new UnreadableInput('no metadata', line);
  const name = scalarString(metadata.get('name', true));
  if (name === undefined) throw new UnreadableInput('metadata has no name', locate(metadata));
  // `kubectl apply -f` puts a policy without a namespace into the current one, usually default.
  const namespace = scalarString(metadata.get('namespace', true)) ?? 'default';
  const spec = node.get('spec', true);
  if (!isMap(spec)) throw new UnreadableInput(`${namespace}/${name}: no spec`, line);
  const podSelectorNode = spec.get('podSelector', true) as YamlNode | undefined;
  // podSelector is required by the API; a missing one reads as {} the way the API server defaults it.
  const podSelector = podSelectorNode === undefined ? emptySelector() : readSelector(podSelectorNode, locate, `${namespace}/${name} podSelector`);
  const rules = (key: 'ingress' | 'egress'): PolicyRule[] => {
    const list = spec.get(key, true) as YamlNode | undefined;
    if (list === undefined || (isScalar(list) && list.value === null)) return [];
    if (!isSeq(list)) throw new UnreadableInput(`${namespace}/${name} ${key}: expected a list of rules`, locate(list));
    const out: PolicyRule[] = [];
    list.items.forEach((item, i) => {
      try {
        out.push(readRule(item as YamlNode, key, locate));
      } catch (error) {
        if (!(error instanceof UnreadableInput)) throw error;
        warn(error.line, `${namespace}/${name} ${key} rule ${i + 1} left out (so it allows nothing): ${error.message}`);
      }
    });
    return out;
  };
  const ingress = rules('ingress');
  const egress = rules('egress');
  const typesNode = spec.get('policyTypes', true) as YamlNode | undefined;
  let policyTypes: PolicyType[];
  let policyTypesDefaulted = false;
  if (typesNode === undefined || (isScalar(typesNode) && typesNode.value === null)) {
    policyTypes = spec.has('egress') ? ['Ingress', 'Egress'] : ['Ingress'];
    policyTypesDefaulted = true;
  } else {
    if (!isSeq(typesNode)) throw new UnreadableInput(`${namespace}/${name} policyTypes: expected a list`, locate(typesNode));
    policyTypes = [];
    for (const item of typesNode.items) {
      const value = scalarString(item);
      if (value !== 'Ingress' && value !== 'Egress') throw new UnreadableInput(`${namespace}/${name} policyTypes: "${value ?? '?'}" is neither Ingress nor Egress`, locate(item as YamlNode));
      if (!policyTypes.includes(value)) policyTypes.push(value);
    }
  }
  return { namespace, name, podSelector, policyTypes, policyTypesDefaulted, ingress, egress, source: { file: '', line } };
}

function readRule(node: YamlNode, key: 'ingress' | 'egress', locate: Locate): PolicyRule {
  const line = locate(node);
  // `- {}` allows everything; a null item (`-` alone) is the same object to the API server.
  if (isScalar(node) && node.value === null) return { peers: [], ports: [], source: { file: '', line } };
  if (!isMap(node)) throw new UnreadableInput('expected an object with from/to and ports', line);
  const peersKey = key === 'ingress' ? 'from' : 'to';
  const peersNode = node.get(peersKey, true) as YamlNode | undefined;
  const peers: PolicyPeer[] = [];
  if (peersNode !== undefined && !(isScalar(peersNode) && peersNode.value === null)) {
    if (!isSeq(peersNode)) throw new UnreadableInput(`${peersKey}: expected a list`, locate(peersNode));
    for (const item of peersNode.items) peers.push(readPeer(item as YamlNode, locate));
  }
  const portsNode = node.get('ports', true) as YamlNode | undefined;
  const ports: PolicyPort[] = [];
  if (portsNode !== undefined && !(isScalar(portsNode) && portsNode.value === null)) {
    if (!isSeq(portsNode)) throw new UnreadableInput('ports: expected a list', locate(portsNode));
    for (const item of portsNode.items) ports.push(readPort(item as YamlNode, locate));
  }
  return { peers, ports, source: { file: '', line } };
}

function readPeer(node: YamlNode, locate: Locate): PolicyPeer {
  if (!isMap(node)) throw new UnreadableInput('peer: expected podSelector, namespaceSelector or ipBlock', locate(node));
  const pods = node.get('podSelector', true) as YamlNode | undefined;
  const namespaces = node.get('namespaceSelector', true) as YamlNode | undefined;
  const block = node.get('ipBlock', true) as YamlNode | undefined;
  if (block !== undefined) {
    if (pods !== undefined || namespaces !== undefined) throw new UnreadableInput('ipBlock cannot be combined with a selector in one peer', locate(node));
    if (!isMap(block)) throw new UnreadableInput('ipBlock: expected cidr and except', locate(block));
    const cidr = scalarString(block.get('cidr', true));
    if (cidr === undefined || !/^[0-9a-f.:]+\/\d{1,3}$/i.test(cidr)) throw new UnreadableInput(`ipBlock cidr "${cidr ?? ''}" is not a CIDR`, locate(block));
    const exceptNode = block.get('except', true) as YamlNode | undefined;
    const except: string[] = [];
    if (exceptNode !== undefined && isSeq(exceptNode)) for (const e of exceptNode.items) except.push(scalarString(e) ?? '');
    return { kind: 'ip-block', ipBlock: { cidr, except: except.filter((e) => e !== '') } };
  }
  if (pods !== undefined) {
    const peer: PolicyPeer = { kind: 'pods', podSelector: readSelector(pods, locate, 'podSelector') };
    if (namespaces !== undefined) peer.namespaceSelector = readSelector(namespaces, locate, 'namespaceSelector');
    return peer;
  }
  if (namespaces !== undefined) return { kind: 'namespaces', namespaceSelector: readSelector(namespaces, locate, 'namespaceSelector') };
  throw new UnreadableInput('peer has none of podSelector, namespaceSelector, ipBlock', locate(node));
}

function readPort(node: YamlNode, locate: Locate): PolicyPort {
  if (!isMap(node)) throw new UnreadableInput('port: expected protocol and port', locate(node));
  const protocol = scalarString(node.get('protocol', true)) ?? 'TCP';
  if (!PROTOCOLS.has(protocol)) throw new UnreadableInput(`protocol "${protocol}" is not TCP, UDP or SCTP`, locate(node));
  const out: PolicyPort = { protocol: protocol as PolicyPort['protocol'] };
  const portNode = node.get('port', true);
  if (portNode !== undefined && isScalar(portNode) && portNode.value !== null) {
    const value = portNode.value;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) out.port = value;
    else if (typeof value === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) out.port = /^\d+$/.test(value) ? Number(value) : value;
    else throw new UnreadableInput(`port "${String(value)}" is neither a port number nor a port name`, locate(portNode));
  }
  const endNode = node.get('endPort', true);
  if (endNode !== undefined && isScalar(endNode) && endNode.value !== null) {
    if (typeof endNode.value !== 'number' || typeof out.port !== 'number' || endNode.value < out.port) throw new UnreadableInput('endPort needs a numeric port no larger than it', locate(endNode));
    out.endPort = endNode.value;
  }
  return out;
}

function readSelector(node: YamlNode, locate: Locate, what: string): LabelSelector {
  if (isScalar(node) && node.value === null) return emptySelector();
  if (!isMap(node)) throw new UnreadableInput(`${what}: expected matchLabels / matchExpressions`, locate(node));
  const selector = emptySelector();
  const labels = node.get('matchLabels', true) as YamlNode | undefined;
  if (labels !== undefined && !(isScalar(labels) && labels.value === null)) {
    if (!isMap(labels)) throw new UnreadableInput(`${what} matchLabels: expected key: value pairs`, locate(labels));
    for (const pair of labels.items) {
      const key = scalarString(pair.key);
      const value = scalarString(pair.value);
      if (key === undefined || value === undefined) throw new UnreadableInput(`${what} matchLabels: a label needs a key and a string value`, locate(pair.key as YamlNode));
      selector.matchLabels[key] = value;
    }
  }
  const expressions = node.get('matchExpressions', true) as YamlNode | undefined;
  if (expressions !== undefined && !(isScalar(expressions) && expressions.value === null)) {
    if (!isSeq(expressions)) throw new UnreadableInput(`${what} matchExpressions: expected a list`, locate(expressions));
    for (const item of expressions.items) selector.matchExpressions.push(readExpression(item as YamlNode, locate, what));
  }
  return selector;
}

function readExpression(node: YamlNode, locate: Locate, what: string): SelectorExpression {
  if (!isMap(node)) throw new UnreadableInput(`${what} matchExpressions: expected key, operator, values`, locate(node));
  const key = scalarString(node.get('key', true));
  const operator = scalarString(node.get('operator', true));
  if (key === undefined) throw new UnreadableInput(`${what} matchExpressions: no key`, locate(node));
  if (operator === undefined || !OPERATORS.has(operator)) throw new UnreadableInput(`${what} matchExpressions: operator "${operator ?? ''}" is not In, NotIn, Exists or DoesNotExist`, locate(node));
  const valuesNode = node.get('values', true) as YamlNode | undefined;
  const values = valuesNode !== undefined && isSeq(valuesNode) ? valuesNode.items.map((v) => scalarString(v) ?? '') : [];
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) throw new UnreadableInput(`${what} matchExpressions: ${operator} needs values`, locate(node));
  return { key, operator: operator as SelectorExpression['operator'], values };
}

function emptySelector(): LabelSelector {
  return { matchLabels: {}, matchExpressions: [] };
}

/** A scalar as a string (labels like `tier: 1` or `enabled: true` are strings to Kubernetes). */
function scalarString(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}

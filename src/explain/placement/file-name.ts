// Placing a capture by its file name, the way people name captures: the name holds a
// node or pod name and one of that namespace's interface names, with any separators
// and any case: `probe0-worker-1-flannel.1.pcap`, `WORKER-2@eth0.pcap`, `w2-eth0.pcapng`.
//
// What is accepted (docs/explain.md "Where a capture was taken"):
//   - the lab's `<at>__<iface>.pcap`, taken as it is;
//   - a name and an interface appear as runs of the file name's words, where words are split
//     at `-`, `_`, `.`, `@` and spaces and a run is compared with its separators removed
//     (`worker-1` = `worker_1` = `Worker1`; `flannel.1` = `flannel_1`); case is ignored;
//   - a node abbreviated to one word of letters and its number: the letters a prefix of the
//     node name's (`w2`, `work2` → worker-2) or the word `node` / `n` (`node1` → the node
//     numbered 1); only when one node fits;
//   - an interface name alone when only one namespace has it (`veth6b3caf45.pcap`).
// Two places that fit equally are said ("ambiguous"), never guessed.
import { basename } from 'node:path';
import type { Topology } from '../../topology/model.ts';
import { maxOf } from '../../util/append.ts';

export interface NameMatch {
  at?: string;
  interface?: string;
  /** What in the name placed it: "worker-1 and flannel.1". */
  text?: string;
  /** Set when several places fit the name equally. */
  ambiguity?: string;
}

interface Namespace {
  name: string;
  kind: 'node' | 'pod';
  node: string;
  interfaces: string[];
}

const SEPARATORS = /[-_.@\s]+/;
const CAPTURE_EXTENSION = /\.(pcapng|pcap|cap)(\.gz)?$/i;

function words(text: string): string[] {
  return text.toLowerCase().split(SEPARATORS).filter((w) => w.length > 0);
}

function namespaces(topology: Topology): Namespace[] {
  const out: Namespace[] = topology.nodes.map((n) => ({
    name: n.name,
    kind: 'node',
    node: n.name,
    interfaces: [...n.netns.interfaces.map((i) => i.name), 'any'],
  }));
  for (const pod of topology.pods) {
    if (pod.unnamed) continue;
    const interfaces = pod.netns ? pod.netns.interfaces.map((i) => i.name) : [pod.podInterface ?? 'eth0'];
    out.push({ name: pod.name, kind: 'pod', node: pod.node, interfaces });
  }
  return out;
}

type Span = [start: number, end: number];

/** Runs of `fileWords` that spell `name` with its separators removed. */
function spans(fileWords: string[], name: string): Span[] {
  const target = words(name).join('');
  if (target.length === 0) return [];
  const out: Span[] = [];
  for (let start = 0; start < fileWords.length; start++) {
    let joined = '';
    for (let end = start; end < fileWords.length && joined.length < target.length; end++) {
      joined += fileWords[end]!;
      if (joined === target) out.push([start, end + 1]);
    }
  }
  return out;
}

/** `w2`, `work2`, `node2`, `n2` for a node named `worker-2`: one word, letters then the node's number. */
function abbreviationSpans(fileWords: string[], nodeName: string): Span[] {
  const number = /(\d+)$/.exec(nodeName)?.[1];
  if (number === undefined) return [];
  const letters = words(nodeName.slice(0, nodeName.length - number.length)).join('').replace(/\d+/g, '');
  const out: Span[] = [];
  fileWords.forEach((word, i) => {
    const m = /^([a-z]+)(\d+)$/.exec(word);
    if (!m || Number(m[2]) !== Number(number)) return;
    const prefix = m[1]!;
    if ((letters.startsWith(prefix) && prefix !== letters) || prefix === 'node' || prefix === 'n') out.push([i, i + 1]);
  });
  return out;
}

const overlaps = (a: Span, b: Span): boolean => a[0] < b[1] && b[0] < a[1];

interface Candidate {
  ns: Namespace;
  interface?: string;
  /** 2: the namespace's full name; 1: an abbreviation; 0: the interface alone. */
  quality: number;
}

function describe(c: Candidate): string {
  return c.interface ? `${c.ns.name} ${c.interface}` : c.ns.name;
}

/** Where the file's name says the capture was taken (nothing when it says nothing). */
export function placeByFileName(file: string, topology: Topology): NameMatch {
  const stem = basename(file).replace(CAPTURE_EXTENSION, '');
  const lab = /^(.+?)__(.+)$/.exec(stem);
  if (lab) return { at: lab[1]!, interface: lab[2]!, text: `${lab[1]!} and ${lab[2]!} (<node or pod>__<interface>)` };
  const fileWords = words(stem);
  const all = namespaces(topology);
  const candidates: Candidate[] = [];
  for (const ns of all) {
    const exact = spans(fileWords, ns.name);
    const short = ns.kind === 'node' && exact.length === 0 ? abbreviationSpans(fileWords, ns.name) : [];
    const nameSpans = exact.length > 0 ? exact : short;
    if (nameSpans.length === 0) continue;
    const quality = exact.length > 0 ? 2 : 1;
    const withInterface = ns.interfaces.filter((iface) => spans(fileWords, iface).some((s) => nameSpans.some((n) => !overlaps(s, n))));
    if (withInterface.length === 0) candidates.push({ ns, quality });
    // `eth0` inside `veth0`-like runs cannot happen (runs are whole words); the longest
    // interface name wins when one contains another's words (`eth0` vs `eth0.100`).
    const longest = withInterface.filter((i) => !withInterface.some((j) => j !== i && words(j).join('').includes(words(i).join(''))));
    for (const iface of longest) candidates.push({ ns, interface: iface, quality });
  }
  if (candidates.length === 0) {
    // An interface name that only one namespace has (a veth's or cali's hashed name).
    const owners = all.flatMap((ns) => ns.interfaces.filter((i) => i !== 'any' && spans(fileWords, i).length > 0).map((iface) => ({ ns, interface: iface, quality: 0 })));
    if (owners.length === 1) candidates.push(owners[0]!);
  }
  if (candidates.length === 0) return {};
  const best = maxOf(candidates.map((c) => c.quality));
  let top = candidates.filter((c) => c.quality === best);
  // A pod and its own node both fitting (`worker-1-pod1-eth0`): the pod is the more precise place.
  top = top.filter((c) => !(c.ns.kind === 'node' && top.some((p) => p.ns.kind === 'pod' && p.ns.node === c.ns.name && (c.interface === undefined || p.interface === c.interface))));
  // A place with an interface says more than one without.
  if (top.some((c) => c.interface !== undefined)) top = top.filter((c) => c.interface !== undefined);
  if (top.length > 1) {
    return { ambiguity: `the name ${JSON.stringify(basename(file))} fits ${top.map(describe).join(' and ')} equally` };
  }
  const only = top[0]!;
  const how = only.quality === 1 ? ` (${only.ns.name} abbreviated)` : '';
  return {
    at: only.ns.name,
    ...(only.interface !== undefined ? { interface: only.interface } : {}),
    text: `${describe(only)}${how}`,
  };
}

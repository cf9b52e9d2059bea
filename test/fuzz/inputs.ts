// Generators: mutated real files (samples/, test/corpus/) and structured inputs built from
// the grammars the parsers read — iptables-save rule token soup, `ip route` token soup,
// transcripts with prompts, and captures whose length fields are chosen (boundaries, lies).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fc } from '@fast-check/vitest';
import { repoRoot } from '../helpers/run.ts';

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path, keep);
    return keep(e.name) && statSync(path).size < 400_000 ? [path] : [];
  });
}

const isCapture = (name: string): boolean => /\.(pcap|pcapng|cap)$/.test(name);

/**
 * `kubectl get pods -o yaml` of three pods as kubectl writes the List (its entries at column 0),
 * so mutations reach the List reader's cut (topology/parse/yaml-list.ts); the corpus has single objects only.
 */
const KUBECTL_POD_LIST = ['apiVersion: v1', 'items:']
  .concat(
    ...[0, 1, 2].map((i) => [
      '- apiVersion: v1',
      '  kind: Pod',
      '  metadata:',
      '    labels:',
      `      app: web`,
      `    name: web-${i}`,
      '    namespace: default',
      '  spec:',
      '    containers:',
      '    - name: web',
      '      ports:',
      '      - containerPort: 8080',
      '        name: http',
      '        protocol: TCP',
      `    nodeName: worker-${i}`,
      '  status:',
      `    hostIP: 10.0.0.${i + 5}`,
      `    podIP: 10.244.${i}.7`,
      '    podIPs:',
      `    - ip: 10.244.${i}.7`,
    ]),
  )
  .concat(['kind: List', 'metadata:', '  resourceVersion: ""', ''])
  .join('\n');

/** Every text dump and transcript of the samples and the corpus (and the pod List above). */
export const REAL_TEXTS: string[] = [...filesUnder(join(repoRoot, 'samples'), (n) => /\.(txt|json|yaml)$/.test(n)), ...filesUnder(join(repoRoot, 'test/corpus'), (n) => !isCapture(n) && !/\.(md|sh)$/.test(n))]
  .map((f) => readFileSync(f))
  .filter((b) => !b.subarray(0, 4096).includes(0))
  .map((b) => b.toString('utf8'))
  .concat(KUBECTL_POD_LIST);

/** Every capture of the samples, the corpus and the decoder's own test captures, under 120 KB. */
export const REAL_CAPTURES: Buffer[] = [
  ...filesUnder(join(repoRoot, 'samples'), isCapture),
  ...filesUnder(join(repoRoot, 'test/corpus'), isCapture),
  ...filesUnder(join(repoRoot, 'test/decode/captures'), isCapture),
]
  .filter((f) => statSync(f).size < 120_000)
  .map((f) => readFileSync(f));

/** Characters a hostile or mangled dump carries: controls, bidi overrides, C1 CSI, NUL, odd whitespace. */
const HOSTILE = ['\u0000', '\u001b[31m', '\u009b2J', '\u007f', '\u202e', '\u2066', '\u2069', '\u200f', '\u061c', '\u2028', '\r', '\t', '\f', 'é', '中', '\ufffd'];

const hostile = fc.constantFrom(...HOSTILE);
const smallNumber = fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constantFrom('-1', '0x10', '1e9', '4294967296', 'NaN', '0.5x', '', '00', '1.', '.5', '99999999999999999999'));

/** A real text with token-level edits: deletions, duplications, hostile insertions, cuts, flattening. */
export const mutatedText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...REAL_TEXTS),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 5 }), fc.oneof(hostile, smallNumber, fc.string({ maxLength: 12 }))), { minLength: 1, maxLength: 12 }),
    fc.boolean(),
  )
  .map(([text, edits, flatten]) => {
    const tokens = text.split(/(\s+)/);
    for (const [where, op, value] of edits) {
      if (tokens.length === 0) break;
      const i = where % tokens.length;
      if (op === 0) tokens.splice(i, 1);
      else if (op === 1) tokens.splice(i, 0, tokens[(where >> 3) % tokens.length] ?? '');
      else if (op === 2) tokens[i] = value;
      else if (op === 3) tokens.splice(i, 0, value);
      else if (op === 4) tokens[i] = `${tokens[i] ?? ''}${value}`;
      else tokens.splice(i);
    }
    const out = tokens.join('');
    return flatten ? out.replace(/\n/g, ' ') : out;
  });

const IPT_WORDS = ['-A', '-I', '-N', '-j', '-g', '-m', '-p', '-s', '-d', '-i', '-o', '!', '--comment', '"kube"', '"unterminated', '--mode', 'random', 'nth', '--probability', '--every', '--packet', '--dport', '--sport', '--dports', '--mark', '--set-xmark', '0x4000/0x4000', 'tcp', 'udp', 'statistic', 'multiport', 'mark', 'comment', 'recent', '--rcheck', '--seconds', '--to-destination', '10.0.0.1:80', 'DNAT', 'SNAT', 'MASQUERADE', 'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'KUBE-SERVICES', 'KUBE-SVC-A', 'KUBE-SEP-B', 'KUBE-MARK-MASQ', 'CHAIN-A', 'CHAIN-B', '10.96.0.0/12', '-c', '[0:0]'];
const CHAINS = ['INPUT', 'OUTPUT', 'PREROUTING', 'POSTROUTING', 'FORWARD', 'KUBE-SERVICES', 'KUBE-SVC-A', 'KUBE-SEP-B', 'CHAIN-A', 'CHAIN-B'];

/** iptables-save text: tables, chain headers, and rules of random option tokens, some jumping in loops. */
export const iptablesSoup: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom('*filter', '*nat', '*mangle', '*raw', 'COMMIT', '# Generated by iptables-save v1.8.9', '*bogus') },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...CHAINS), fc.constantFrom('ACCEPT', 'DROP', '-')).map(([c, p]) => `:${c} ${p} [0:0]`) },
      {
        weight: 8,
        arbitrary: fc
          .tuple(fc.constantFrom('-A', '-I', '-N'), fc.constantFrom(...CHAINS), fc.array(fc.oneof(fc.constantFrom(...IPT_WORDS), smallNumber, hostile), { maxLength: 16 }))
          .map(([verb, chain, words]) => `${verb} ${chain} ${words.join(' ')}`),
      },
    ),
    { maxLength: 60 },
  )
  .map((lines) => `${lines.join('\n')}\n`);

const ROUTE_WORDS = ['default', 'via', 'dev', 'eth0', 'cni0', 'flannel.1', 'proto', 'kernel', 'static', 'scope', 'link', 'host', 'src', 'metric', 'table', 'local', 'main', '255', 'onlink', 'nexthop', 'weight', 'blackhole', 'unreachable', 'prohibit', 'throw', 'broadcast', '10.0.0.0/24', '10.0.0.1', '10.9.0.0/16', '10.9.0.1', '192.168.1.0/24', 'fe80::/64', '::1', '33:33:00:00:00:01', '1:2:3', '0.0.0.0/0', '/33', '256.1.1.1', 'pref', 'medium', 'mtu', 'lock', 'expires', 'nhid'];

/** `ip route` lines of random tokens, some routes resolving their gateway through themselves. */
export const routeSoup: fc.Arbitrary<string> = fc
  .array(fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ROUTE_WORDS) }, { weight: 1, arbitrary: smallNumber }, { weight: 1, arbitrary: hostile }), { minLength: 1, maxLength: 14 }).map((w) => w.join(' ')), { maxLength: 50 })
  .map((lines) => `${lines.join('\n')}\n`);

const PROMPTS = ['root@worker-1:~# ', '[root@k8s-node1 ~]# ', '[x@y ', '(pod1) # ', '(worker-2)$> ', 'worker-1$ ', '$ ', 'bash-5.0# ', 'u@h:/ ', 'root@w2(10.0.0.2):/ $ '];
const COMMANDS = ['ip a', 'ip addr', 'ip -d link', 'ip r', 'ip route show table all', 'ip n', 'ip rule', 'ip -j addr', 'bridge fdb', 'brctl show', 'iptables-save', 'kubectl get pods -A -o wide', 'kubectl get svc -A', 'docker exec worker-1 ip a', 'kubectl exec pod1 -- ip r', 'nsenter -t 1 -n ip a', 'sysctl net.ipv4.ip_forward', 'cat notes.txt', 'ip route get 1.1.1.1'];

/** Transcripts: prompts and commands with pieces of real dumps (mutated or not) as their output. */
export const transcript: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(fc.constantFrom(...PROMPTS), fc.constantFrom(...COMMANDS), fc.oneof(fc.constantFrom(...REAL_TEXTS), mutatedText, routeSoup, fc.string({ maxLength: 200 })), fc.nat({ max: 3000 })).map(([prompt, command, output, cut]) => `${prompt}${command}\n${output.slice(0, 500 + cut)}`),
    { minLength: 1, maxLength: 6 },
  )
  .map((sections) => sections.join('\n'));

/** A 32-bit length field: boundaries and lies more often than chance would give them. */
const lengthField = fc.oneof(fc.constantFrom(0, 1, 3, 4, 8, 11, 12, 13, 15, 16, 20, 24, 27, 28, 31, 32, 33, 64, 65535, 65536, 262144, 1 << 20, 0x7fffffff, 0xffffffff), fc.nat({ max: 4096 }));

function u32(value: number, little: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (little) b.writeUInt32LE(value >>> 0);
  else b.writeUInt32BE(value >>> 0);
  return b;
}

/** A classic pcap: a real or odd header, then records whose caplen and len fields are chosen. */
const pcapWithLengths = fc
  .tuple(
    fc.constantFrom(0xa1b2c3d4, 0xa1b23c4d),
    fc.boolean(),
    fc.constantFrom(1, 113, 276, 101, 0, 239, 65535),
    fc.array(fc.tuple(lengthField, lengthField, fc.uint8Array({ maxLength: 200 })), { maxLength: 12 }),
  )
  .map(([magic, little, linkType, records]) => {
    const header = Buffer.concat([u32(magic, little), Buffer.from(little ? [2, 0, 4, 0] : [0, 2, 0, 4]), Buffer.alloc(8), u32(262144, little), u32(linkType, little)]);
    return Buffer.concat([header, ...records.map(([caplen, len, data]) => Buffer.concat([Buffer.alloc(8), u32(caplen, little), u32(len, little), Buffer.from(data)]))]);
  });

/** A pcapng: SHB, IDB, then blocks of chosen types and (possibly lying) lengths. */
const pcapngWithLengths = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(1, 2, 3, 6, 0xbad, 0x40000bad, 4, 5, 0x0a0d0d0a, 7), lengthField, fc.uint8Array({ maxLength: 120 }), fc.boolean()), { maxLength: 10 }),
    fc.constantFrom(1, 113, 276),
  )
  .map(([blocks, linkType]) => {
    const block = (type: number, body: Buffer, total = 12 + body.length): Buffer => Buffer.concat([u32(type, true), u32(total, true), body, u32(total, true)]);
    const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, true), Buffer.from([1, 0, 0, 0]), Buffer.alloc(8, 0xff)]));
    const idb = block(1, Buffer.concat([Buffer.from([linkType & 0xff, linkType >> 8, 0, 0]), u32(262144, true), Buffer.from([2, 0, 4, 0]), Buffer.from('e\u202e0\u001b', 'latin1'), Buffer.alloc(4)]));
    const rest = blocks.map(([type, total, body, honest]) => {
      const padded = Buffer.concat([Buffer.from(body), Buffer.alloc((4 - (body.length % 4)) % 4)]);
      return honest ? block(type, padded) : Buffer.concat([u32(type, true), u32(total, true), padded]);
    });
    return Buffer.concat([shb, idb, ...rest]);
  });

/** A real capture with bytes flipped, cut, or a 32-bit word overwritten by a chosen length. */
const mutatedCapture = fc
  .tuple(fc.constantFrom(...REAL_CAPTURES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), lengthField), { minLength: 1, maxLength: 10 }))
  .map(([bytes, edits]) => {
    let out = Buffer.from(bytes);
    for (const [where, op, value] of edits) {
      if (out.length < 28) break;
      const at = where % (out.length - 4);
      if (op === 0) out[at] = value & 0xff;
      else if (op === 1) out = out.subarray(0, at);
      else out.writeUInt32LE(value >>> 0, Math.max(8, at));
    }
    return out;
  });

export const capture: fc.Arbitrary<Buffer> = fc.oneof(mutatedCapture, pcapWithLengths, pcapngWithLengths);

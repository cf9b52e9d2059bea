// Property tests: every parser and the whole read → build pipeline take random
// and mutated real input (seeded, bounded) without throwing anything but
// podpath's own errors, and in bounded time.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PodpathError } from '../../src/errors.ts';
import { buildTopology } from '../../src/topology/build/index.ts';
import { readCommand } from '../../src/topology/inputs/command.ts';
import type { DumpKind, DumpText } from '../../src/topology/inputs/dump.ts';
import { recogniseContent } from '../../src/topology/inputs/recognise.ts';
import { gatherRecords } from '../../src/topology/inputs/records.ts';
import { splitTranscript } from '../../src/topology/inputs/transcript.ts';
import { parseBrctlShow } from '../../src/topology/parse/brctl.ts';
import { parseBridgeFdb } from '../../src/topology/parse/bridge-fdb.ts';
import { parseIpAddr } from '../../src/topology/parse/ip-addr.ts';
import { parseIpBrief } from '../../src/topology/parse/ip-brief.ts';
import { parseBridgeJsonFdb, parseIpJsonAddr, parseIpJsonNeigh, parseIpJsonRoute } from '../../src/topology/parse/ip-json.ts';
import { parseIpNeigh } from '../../src/topology/parse/ip-neigh.ts';
import { parseIpRoute } from '../../src/topology/parse/ip-route.ts';
import { parseIpRule } from '../../src/topology/parse/ip-rule.ts';
import { parseKubectlPods, parseKubectlServices } from '../../src/topology/parse/kubectl.ts';
import { parseSysctl } from '../../src/topology/parse/sysctl.ts';
import { parseNftRuleset } from '../../src/topology/parse/nft/ruleset.ts';
import { parseNftJson } from '../../src/topology/parse/nft/json.ts';
import { parseIpset } from '../../src/topology/parse/ipset.ts';
import { parseIpvsadm } from '../../src/topology/parse/ipvsadm.ts';
import { repoRoot } from '../helpers/run.ts';
import { draws, randomFrom } from '../fuzz/draws.ts';
import { options } from '../fuzz/settings.ts';


const ALPHABET = ' \t\n:/@<>.,-0123456789abcdefABCDEF{}[]"#$()|\u0000\u001b\u00e9\u4e2d';
const WORDS = ['ip', 'dev', 'via', 'inet', 'inet6', 'link/ether', 'mtu', 'master', 'vxlan', 'id', 'dstport', 'nexthop', 'lladdr', 'dst', 'self', 'permanent', 'default', '10.0.0.1', '10.0.0.0/24', '1:', 'eth0@if3:', '<UP>', 'bridge', 'name', '8000.0242def0744f', '(pod1)', '#', '$', 'root@n1:~#', 'table', 'blackhole', 'proto', 'onlink', 'fe80::1/64', 'ff:ff:ff:ff:ff:ff'];

function randomText(next: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out += next() < 0.3 ? `${WORDS[Math.floor(next() * WORDS.length)]} ` : ALPHABET[Math.floor(next() * ALPHABET.length)];
  }
  return out;
}

function mutate(next: () => number, text: string): string {
  const tokens = text.split(/(\s+)/);
  const ops = 1 + Math.floor(next() * 8);
  for (let k = 0; k < ops && tokens.length > 0; k++) {
    const i = Math.floor(next() * tokens.length);
    const r = next();
    if (r < 0.2) tokens.splice(i, 1);
    else if (r < 0.4) tokens.splice(i, 0, tokens[Math.floor(next() * tokens.length)] ?? '');
    else if (r < 0.6) tokens[i] = WORDS[Math.floor(next() * WORDS.length)]!;
    else if (r < 0.8) tokens[i] = randomText(next, 1 + Math.floor(next() * 6));
    else tokens.splice(i);
  }
  return next() < 0.2 ? tokens.join('').replace(/\n/g, ' ') : tokens.join('');
}

function realDumps(): string[] {
  const texts: string[] = [];
  const samples = join(repoRoot, 'samples');
  for (const scenario of readdirSync(samples)) {
    for (const node of ['worker-1', 'worker-2']) {
      try {
        for (const f of readdirSync(join(samples, scenario, node))) {
          if (f.endsWith('.txt') || f.endsWith('.json')) texts.push(readFileSync(join(samples, scenario, node, f), 'utf8'));
        }
      } catch {
        // scenario without this node
      }
    }
  }
  const corpus = join(repoRoot, 'test', 'corpus', 'iproute');
  for (const f of readdirSync(corpus)) texts.push(readFileSync(join(corpus, f), 'utf8'));
  for (const folder of ['nftables', 'ipvs']) {
    for (const f of readdirSync(join(repoRoot, 'test', 'corpus', folder))) texts.push(readFileSync(join(repoRoot, 'test', 'corpus', folder, f), 'utf8'));
  }
  texts.push(readFileSync(join(repoRoot, 'test', 'corpus', 'seed', '000-networking-section.txt'), 'utf8'));
  return texts;
}

const src = { file: 'fuzz.txt' };
const PARSERS: [string, (text: string) => unknown][] = [
  ['ip addr', (t) => parseIpAddr(t, src)],
  ['ip -br', (t) => parseIpBrief(t, src)],
  ['ip route', (t) => parseIpRoute(t, src)],
  ['ip rule', (t) => parseIpRule(t, src)],
  ['ip neigh', (t) => parseIpNeigh(t, { ...src, defaultDev: 'eth0' })],
  ['bridge fdb', (t) => parseBridgeFdb(t, src)],
  ['brctl show', (t) => parseBrctlShow(t, src)],
  ['ip -j addr', (t) => parseIpJsonAddr(t, src)],
  ['ip -j route', (t) => parseIpJsonRoute(t, src)],
  ['ip -j neigh', (t) => parseIpJsonNeigh(t, src)],
  ['bridge -j fdb', (t) => parseBridgeJsonFdb(t, src)],
  ['kubectl pods', (t) => parseKubectlPods(t, src)],
  ['kubectl svc', (t) => parseKubectlServices(t, src)],
  ['sysctl', (t) => parseSysctl(t, { ...src, procPath: '/proc/sys/net/ipv4/ip_forward' })],
  ['nft list ruleset', (t) => parseNftRuleset(t, 'fuzz.txt')],
  ['nft -j list ruleset', (t) => parseNftJson(t, 'fuzz.txt')],
  ['ipset list', (t) => parseIpset(t, 'fuzz.txt')],
  ['ipvsadm -Ln', (t) => parseIpvsadm(t, 'fuzz.txt')],
  ['transcript', (t) => splitTranscript(t)],
  ['command', (t) => readCommand(t.split(/\s+/))],
  ['recognise', (t) => recogniseContent(t)],
];

function survives(fn: () => unknown) {
  const start = performance.now();
  try {
    fn();
  } catch (error) {
    if (!(error instanceof PodpathError)) throw error;
  }
  return performance.now() - start;
}

describe('fuzz', () => {
  const corpus = realDumps();
  for (const [name, parse] of PARSERS) {
    prop.prop([draws], options(`parser ${name}`))(`${name}: random and mutated input never throws and stays fast`, (values) => {
      const next = randomFrom(values);
      const input = next() < 0.3 ? randomText(next, Math.floor(next() * 2000)) : mutate(next, corpus[Math.floor(next() * corpus.length)]!);
      expect(survives(() => parse(input))).toBeLessThan(2000);
    });
  }

  it('JSON parsers take JSON of the wrong shape', () => {
    for (const text of ['null', '{}', '[1,2,3]', '[null]', '[{"ifindex":"x"}]', '[{"dst":5}]', '[{"ifindex":1,"ifname":"a","addr_info":[null,{"family":"inet"}],"linkinfo":{"info_kind":"vxlan","info_data":null}}]', '[{"dst":"default","nexthops":[null,5]}]']) {
      expect(() => parseIpJsonAddr(text, src)).not.toThrow();
      expect(() => parseIpJsonRoute(text, src)).not.toThrow();
      expect(() => parseIpJsonNeigh(text, src)).not.toThrow();
      expect(() => parseBridgeJsonFdb(text, src)).not.toThrow();
    }
  });

  prop.prop([draws], options('pipeline'))('the read → build pipeline takes mutated dumps of every kind', (values) => {
    const next = randomFrom(values);
    const kinds: DumpKind[] = ['addr', 'link', 'addr-json', 'addr-brief', 'route', 'route-json', 'rule', 'neigh', 'neigh-json', 'fdb', 'fdb-json', 'brctl', 'iptables', 'nft', 'nft-json', 'ipset', 'ipvs', 'sysctl', 'kubectl-pods', 'kubectl-svc', 'kubectl-objects', 'kubectl-namespaces'];
    {
      const dumps: DumpText[] = [];
      for (let d = 0; d < 8; d++) {
        dumps.push({
          kind: kinds[Math.floor(next() * kinds.length)]!,
          text: mutate(next, corpus[Math.floor(next() * corpus.length)]!),
          file: `f${d}`,
          firstLine: 1,
          host: next() < 0.5 ? 'n1' : `p${Math.floor(next() * 3)}`,
          partial: next() < 0.3,
        });
      }
      const took = survives(() => buildTopology(gatherRecords(dumps, [])));
      expect(took).toBeLessThan(5000);
    }
  });

  it('a 2 MB flattened dump is read in linear time', () => {
    const block = '3: eth0@if16:mtu 1450 qdisc noqueue link/ether 7a:1d:70:95:60:29 brd ff:ff:ff:ff:ff:ff inet 192.168.226.74/32 scope global eth0 valid_lft forever preferred_lft forever ';
    const big = block.repeat(Math.ceil(2_000_000 / block.length));
    const took = survives(() => parseIpAddr(big, src));
    const routes = 'default via 10.0.0.1 dev eth0 192.168.1.0/24 via 192.168.1.0 dev flannel.1 onlink '.repeat(25_000);
    const tookRoutes = survives(() => parseIpRoute(routes, src));
    // Found by this file: a nested quantifier in the `ip netconf` pattern backtracked for minutes on this shape.
    const tookNetconf = survives(() => parseSysctl(`inet ${'a b '.repeat(20_000)}!`, src));
    expect(tookNetconf).toBeLessThan(1000);
    const transcript = '(pod1) # ip r default via 1.1.1.1 dev eth0 '.repeat(40_000);
    const tookTranscript = survives(() => splitTranscript(transcript));
    expect(took).toBeLessThan(5000);
    expect(tookRoutes).toBeLessThan(5000);
    expect(tookTranscript).toBeLessThan(5000);
  });
});

// `nft list ruleset` and `nft -j list ruleset` read into nf_tables tables, and
// kube-proxy's nftables-mode table read back into services. The rulesets are
// real nft 1.0.6 output (test/corpus/SOURCES.md): kube-proxy's own expected
// rules (pkg/proxy/nftables/proxier_test.go) loaded with `nft -f`, and Calico
// felix's nftables dump. Expected values are read off the dumps' own text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NftTable, Topology } from '../../src/topology/model.ts';
import { parseNftJson } from '../../src/topology/parse/nft/json.ts';
import { parseNftRuleset } from '../../src/topology/parse/nft/ruleset.ts';
import { servicesFromNft } from '../../src/topology/kube-proxy/nft-services.ts';
import { nftChainNameBase } from '../../src/topology/kube-proxy/chain-names.ts';
import { recogniseContent } from '../../src/topology/inputs/recognise.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const corpus = join(repoRoot, 'test/corpus');
const text = readFileSync(join(corpus, 'nftables/kube-proxy-overall_nft-list-ruleset.txt'), 'utf8');
const json = readFileSync(join(corpus, 'nftables/kube-proxy-overall_nft-j-list-ruleset.json'), 'utf8');
const calico = readFileSync(join(corpus, 'iptables/calico_felix-fv_cali-nftables-dump.txt'), 'utf8');

const table = (tables: NftTable[], name: string) => tables.find((t) => t.name === name)!;

describe('nft list ruleset', () => {
  const parsed = parseNftRuleset(text, 'nft.txt');

  it('reads every table, chain, set and map the text lists, without warnings', () => {
    expect(parsed.warnings).toEqual([]);
    expect(parsed.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip nat', 'ip filter', 'ip kube-proxy']);
    const kp = table(parsed.tables, 'kube-proxy');
    const kubeProxyText = text.slice(text.indexOf('table ip kube-proxy'));
    expect(Object.keys(kp.chains)).toHaveLength(kubeProxyText.split('\n').filter((l) => l.startsWith('\tchain ')).length);
    expect(kp.comment).toBe('rules for kube-proxy');
    expect(Object.keys(kp.sets).sort()).toEqual(['cluster-ips', 'firewall-ips', 'no-endpoint-nodeports', 'no-endpoint-services', 'nodeport-ips', 'service-ips', 'service-nodeports']);
  });

  it('reads base chains with hook, numeric priority and policy (priority names as nft(8) defines them)', () => {
    const kp = table(parsed.tables, 'kube-proxy');
    // "type filter hook prerouting priority dstnat - 10; policy accept;" — dstnat is -100.
    expect(kp.chains['filter-prerouting-pre-dnat']!.base).toEqual({ type: 'filter', hook: 'prerouting', priority: -110, policy: 'accept' });
    expect(kp.chains['nat-postrouting']!.base).toEqual({ type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' });
    expect(kp.chains['services']!.base).toBeUndefined();
  });

  it('reads a multi-line element list of a verdict map, with concatenated keys', () => {
    const map = table(parsed.tables, 'kube-proxy').sets['service-ips']!;
    expect(map.keyType).toEqual(['ipv4_addr', 'inet_proto', 'inet_service']);
    expect(map.valueType).toBe('verdict');
    expect(map.elements).toEqual([
      { key: ['192.168.99.33', 'tcp', '80'], verdict: { kind: 'goto', target: 'external-LAUZTJTB-ns4/svc4/tcp/p80' } },
      { key: ['172.30.0.44', 'tcp', '80'], verdict: { kind: 'goto', target: 'service-LAUZTJTB-ns4/svc4/tcp/p80' } },
    ]);
    const noEndpoints = table(parsed.tables, 'kube-proxy').sets['no-endpoint-services']!;
    expect(noEndpoints.elements).toEqual([{ key: ['172.30.0.46', 'tcp', '80'], comment: 'ns6/svc6:p80', verdict: { kind: 'goto', target: 'reject-chain' } }]);
  });

  it('reads numgen vmaps, masked marks, mangles, dnat and masquerade into expressions', () => {
    const kp = table(parsed.tables, 'kube-proxy');
    const [masq, numgen] = kp.chains['service-LAUZTJTB-ns4/svc4/tcp/p80']!.rules;
    expect(masq!.exprs).toEqual([
      { kind: 'match', left: { kind: 'payload', protocol: 'ip', field: 'daddr' }, op: '==', right: { kind: 'values', values: [['172.30.0.44']] } },
      { kind: 'match', left: { kind: 'payload', protocol: 'ip', field: 'saddr' }, op: '!=', right: { kind: 'values', values: [['10.0.0.0/8']] } },
      { kind: 'verdict', verdict: { kind: 'jump', target: 'mark-for-masquerade' } },
    ]);
    expect(numgen!.exprs[0]).toMatchObject({ kind: 'vmap', key: { kind: 'numgen', mode: 'random', mod: 2 } });
    const [ret, xor, masquerade] = kp.chains['masquerading']!.rules;
    expect(ret!.exprs[0]).toEqual({ kind: 'match', left: { kind: 'binop', op: '&', left: { kind: 'meta', key: 'mark' }, right: 0x4000 }, op: '==', right: { kind: 'values', values: [['0x00000000']] } });
    expect(xor!.exprs[0]).toEqual({ kind: 'mangle', key: { kind: 'meta', key: 'mark' }, value: { kind: 'binop', op: '^', left: { kind: 'meta', key: 'mark' }, right: 0x4000 } });
    expect(masquerade!.exprs).toEqual([{ kind: 'nat', type: 'masquerade', flags: ['fully-random'] }]);
    expect(kp.chains['endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80']!.rules[1]!.exprs[1]).toEqual({ kind: 'nat', type: 'dnat', addr: '10.180.0.5', port: 80, flags: [] });
  });

  it('keeps the rule text as nft prints it, counter values left out (nft monitor trace prints the live ones)', () => {
    const forward = table(parsed.tables, 'filter').chains['FORWARD']!.rules[0]!;
    expect(forward.text).toBe('ip saddr 10.0.0.0/8 counter accept');
    expect(forward.source).toEqual({ file: 'nft.txt', line: text.split('\n').findIndex((l) => l.includes('ip saddr 10.0.0.0/8 counter packets 0 bytes 0 accept')) + 1 });
  });

  it('reads Calico felix\'s nftables dump (fib saddr . oif, comments, interval sets) without warnings', () => {
    const felix = parseNftRuleset(calico, 'calico.txt');
    expect(felix.warnings).toEqual([]);
    expect(Object.keys(felix.tables[0]!.chains)).toHaveLength(calico.split('\n').filter((l) => /^\tchain /.test(l)).length);
    expect(felix.tables[0]!.sets['cali40all-vxlan-net']!.elements.map((e) => e.key[0])).toEqual(['10.128.0.208', '10.128.0.211', '10.128.0.213']);
  });

  it('an unknown statement is a warning with its line; the rule keeps what was read and the rest of the ruleset counts', () => {
    const damaged = text.replace('jump masquerading', 'jump masquerading\n\t\tsynproxy mss 1460 wscale 7');
    const result = parseNftRuleset(damaged, 'nft.txt');
    expect(result.warnings).toHaveLength(1);
    const line = damaged.split('\n').findIndex((l) => l.includes('synproxy')) + 1;
    expect(result.warnings[0]).toMatchObject({ file: 'nft.txt', line, text: 'synproxy mss 1460 wscale 7' });
    expect(result.warnings[0]!.message).toContain('does not read `synproxy mss 1460 wscale 7`');
    const kp = table(result.tables, 'kube-proxy');
    expect(kp.chains['nat-postrouting']!.rules.map((r) => r.exprs[0]!.kind)).toEqual(['verdict', 'unknown']);
    expect(Object.keys(kp.chains)).toHaveLength(Object.keys(table(parsed.tables, 'kube-proxy').chains).length);
  });

  it('a line outside any table is a warning and the tables after it still count', () => {
    const result = parseNftRuleset(`garbage here\n${text}`, 'nft.txt');
    expect(result.warnings).toEqual([expect.objectContaining({ line: 1, message: expect.stringContaining('expected `table FAMILY NAME {`') })]);
    expect(result.tables).toHaveLength(3);
  });
});

describe('nft -j list ruleset', () => {
  it('gives the same chains, sets and rule expressions as the text form (iptables-nft\'s xt targets aside)', () => {
    const fromText = parseNftRuleset(text, 'nft.txt');
    const fromJson = parseNftJson(json, 'nft.json');
    // The JSON form says only `xt target "MASQUERADE"` where the text translated it.
    expect(fromJson.warnings.map((w) => w.message)).toEqual(['nftables[3]: ip nat POSTROUTING: podpath does not read `xt target "MASQUERADE"`; the rule is taken not to match']);
    const a = table(fromText.tables, 'kube-proxy');
    const b = table(fromJson.tables, 'kube-proxy');
    expect(Object.keys(b.chains).sort()).toEqual(Object.keys(a.chains).sort());
    for (const name of Object.keys(a.chains)) {
      expect(b.chains[name]!.base, name).toEqual(a.chains[name]!.base);
      expect(b.chains[name]!.rules.map((r) => r.text), name).toEqual(a.chains[name]!.rules.map((r) => r.text));
    }
    for (const name of Object.keys(a.sets)) expect(b.sets[name]!.elements, name).toEqual(a.sets[name]!.elements);
  });

  it('bad JSON is one warning naming the file', () => {
    expect(parseNftJson('{"nftables": [', 'x.json').warnings).toEqual([expect.objectContaining({ file: 'x.json', line: 1, message: expect.stringContaining('not valid JSON') })]);
  });

  it('both forms are recognised by content', () => {
    expect(recogniseContent(text)).toBe('nft');
    expect(recogniseContent(json)).toBe('nft-json');
    expect(recogniseContent(calico)).toBe('nft');
  });
});

describe('kube-proxy nftables mode → services', () => {
  it('recomputes kube-proxy\'s chain hash (proxier.go hashAndTruncate) as its own test expects', () => {
    // proxier_test.go TestOverallNFTablesRules: service-ULMVA6XW-ns1/svc1/tcp/p80, endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80.
    expect(nftChainNameBase('ns1/svc1/tcp/p80')).toBe('ULMVA6XW-ns1/svc1/tcp/p80');
    expect(nftChainNameBase('ns1/svc1/tcp/p80__10.180.0.1/80')).toBe('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  });

  it('reads services, NodePorts, endpoints with 1/N shares and services without endpoints', () => {
    const { services, warnings } = servicesFromNft(parseNftRuleset(text, 'nft.txt').tables, 'node');
    expect(warnings).toEqual([]);
    const byName = Object.fromEntries(services.map((s) => [`${s.namespace}/${s.name}:${s.portName}`, s]));
    expect(byName['ns4/svc4:p80']).toMatchObject({
      clusterIP: '172.30.0.44', port: 80, protocol: 'tcp', nodePorts: [3003], externalIPs: ['192.168.99.33'], noEndpointsReject: false,
      svcChain: 'service-LAUZTJTB-ns4/svc4/tcp/p80',
      endpoints: [
        { ip: '10.180.0.4', port: 80, probability: 0.5, sepChain: 'endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80' },
        { ip: '10.180.0.5', port: 80, probability: 0.5, sepChain: 'endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80' },
      ],
    });
    // "172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain", and 172.30.0.46 is in cluster-ips.
    expect(byName['ns6/svc6:p80']).toMatchObject({ clusterIP: '172.30.0.46', port: 80, endpoints: [], noEndpointsReject: true });
    // "tcp . 3001 comment "ns2/svc2:p80" : drop": a NodePort whose Local policy has no local endpoint (dropped, not rejected).
    expect(byName['ns2/svc2:p80']).toMatchObject({ nodePorts: [3001], endpoints: [], noEndpointsReject: false });
  });

  it('reads ClientIP session affinity from the affinity set\'s timeout (nft prints 10800s as 3h), in both forms', () => {
    const affinityText = readFileSync(join(corpus, 'nftables/kube-proxy-affinity_nft-list-ruleset.txt'), 'utf8');
    const affinityJson = readFileSync(join(corpus, 'nftables/kube-proxy-affinity_nft-j-list-ruleset.json'), 'utf8');
    for (const tables of [parseNftRuleset(affinityText, 'a.txt').tables, parseNftJson(affinityJson, 'a.json').tables]) {
      const set = tables[0]!.sets['affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80']!;
      expect(set.timeoutSeconds).toBe(3 * 3600);
      // The text says `flags dynamic,timeout`; nft 1.0.6's JSON lists only "timeout".
      expect(set.flags).toContain('timeout');
      expect(set.elements.map((e) => e.key)).toEqual([['10.0.0.2']]);
      expect(tables[0]!.chains['endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80']!.rules[1]!.text).toBe('update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }');
    }
    const { services } = servicesFromNft(parseNftRuleset(affinityText, 'a.txt').tables, 'node');
    // A fragment without the service-ips map: the chain names the service, its masquerade rule the cluster IP.
    expect(services[0]).toMatchObject({ namespace: 'ns5', name: 'svc5', portName: 'p80', clusterIP: '172.30.0.45', sessionAffinitySeconds: 10800, endpoints: [{ ip: '10.180.0.3', port: 80, probability: 1 }] });
  });

  it('podpath topology lists them from a bundle holding the nft listing', async () => {
    const run = await runPodpath(['topology', '--node', 'node-a', join(corpus, 'nftables/kube-proxy-overall_nft-list-ruleset.txt'), '--json']);
    expect(run.stderr).toBe('');
    const topology = JSON.parse(run.stdout) as Topology;
    expect(topology.services.map((s) => `${s.namespace}/${s.name}:${s.portName} ${s.clusterIP ?? '-'}:${s.port} ${s.endpoints.map((e) => `${e.ip}:${e.port}@${e.probability}`).join(',')}`).sort()).toEqual([
      'ns2/svc2:p80 -:0 ',
      'ns4/svc4:p80 172.30.0.44:80 10.180.0.4:80@0.5,10.180.0.5:80@0.5',
      'ns6/svc6:p80 172.30.0.46:80 ',
    ]);
  });
});

describe('nft list ruleset quoted from its middle (calico#8025: the thread starts inside `table ip filter`)', () => {
  const text = [
    '\tchain FLANNEL-FWD {',
    '\t\tip saddr 10.42.0.0/16  counter packets 0 bytes 0 accept',
    '\t}',
    '',
    '\tchain KUBE-SERVICES {',
    '\t}',
    '}',
    'table ip nat {',
    '\tchain PREROUTING {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\t counter packets 14258 bytes 1410381 jump KUBE-SERVICES',
  ].join('\n');
  const { tables, warnings } = parseNftRuleset(text, 'f');

  it('the chains of the unnamed table are one warning; the table after it is read', () => {
    expect(tables.map((t) => `${t.family} ${t.name} ${Object.keys(t.chains).join(',')}`)).toEqual(['ip nat PREROUTING']);
    expect(tables[0]!.chains.PREROUTING!.rules.map((r) => r.text)).toEqual(['counter jump KUBE-SERVICES']);
    expect(warnings.map((w) => [w.line, w.message])).toEqual([
      [1, expect.stringMatching(/starts inside a table .*lines 1–7 skipped/)],
      [8, expect.stringMatching(/table ip nat has no closing brace \(truncated dump\?\)/)],
    ]);
  });
});

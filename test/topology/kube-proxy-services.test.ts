// Services read back from kube-proxy's chains. Two independent truths: the
// generator's spec (its rules loaded into the kernel and dumped by the real
// iptables-save), and real dumps in the corpus (expected values read from the
// files with grep; line numbers given).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../src/topology/model.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';
import { servicesFromNetfilter } from '../../src/topology/kube-proxy/services.ts';
import { kubeProxyRestoreInput, syntheticSpec, type KubeProxySpec, type ServiceSpec } from '../lab/kube-proxy-rules.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { corpusDir } from '../helpers/shared.ts';

const corpus = `${corpusDir}/iptables`;

const spec: KubeProxySpec = {
  clusterCIDR: '192.168.0.0/16',
  services: [
    {
      namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePort: 30080,
      endpoints: [{ ip: '192.168.2.12', port: 80 }],
    },
    {
      namespace: 'default', name: 'multi', clusterIP: '10.96.0.12', port: 8080, protocol: 'tcp', sessionAffinitySeconds: 600,
      externalIPs: ['10.74.107.100'],
      endpoints: [{ ip: '192.168.1.7', port: 80 }, { ip: '192.168.2.12', port: 80 }, { ip: '192.168.2.13', port: 80 }, { ip: '192.168.2.14', port: 80 }],
    },
    { namespace: 'default', name: 'empty', portName: 'http', clusterIP: '10.96.0.11', port: 80, protocol: 'tcp', nodePort: 30081, endpoints: [] },
    {
      namespace: 'kube-system', name: 'kube-dns', portName: 'dns', clusterIP: '10.96.0.53', port: 53, protocol: 'udp',
      endpoints: [{ ip: '192.168.1.3', port: 53 }, { ip: '192.168.2.3', port: 53 }],
    },
    { namespace: 'ops', name: 'sctp-svc', portName: 'sig', clusterIP: '10.96.0.60', port: 3868, protocol: 'sctp', endpoints: [{ ip: '192.168.1.9', port: 3868 }] },
  ],
};

/** What the spec says each service must look like (probabilities checked separately). */
function expectMatchesSpec(services: Service[], truth: ServiceSpec[]): void {
  expect(services).toHaveLength(truth.length);
  for (const want of truth) {
    const got = services.find((s) => s.namespace === want.namespace && s.name === want.name && s.protocol === want.protocol);
    expect(got, `${want.namespace}/${want.name}`).toBeDefined();
    expect(got!.portName ?? '').toBe(want.portName ?? '');
    expect(got!.clusterIP).toBe(want.clusterIP);
    expect(got!.port).toBe(want.port);
    expect(got!.nodePorts).toEqual(want.nodePort === undefined ? [] : [want.nodePort]);
    expect(got!.externalIPs).toEqual(want.externalIPs ?? []);
    expect(got!.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(want.endpoints.map((e) => `${e.ip}:${e.port}`));
    expect(got!.noEndpointsReject).toBe(want.endpoints.length === 0);
    expect(got!.sessionAffinitySeconds).toBe(want.sessionAffinitySeconds);
    expect(got!.seenOn).toEqual(['worker-1']);
    const total = got!.endpoints.reduce((sum, e) => sum + e.probability, 0);
    if (want.endpoints.length > 0) expect(total).toBeCloseTo(1, 9);
    for (const e of got!.endpoints) expect(e.probability).toBeCloseTo(1 / want.endpoints.length, 8);
  }
}

describeNeeding(['netns', 'iptables'], 'services from the generator, through the real kernel and iptables-save', () => {
  const namespace = `pk-svc-${process.pid}`;
  let saved = '';
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', namespace]);
    execFileSync('ip', ['netns', 'exec', namespace, 'iptables-restore'], { input: kubeProxyRestoreInput(spec) });
    saved = execFileSync('ip', ['netns', 'exec', namespace, 'iptables-save'], { encoding: 'utf8' });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', namespace]);
  });

  it('finds every service port of the spec with its addresses, ports and endpoints', () => {
    const { tables, warnings } = parseIptablesSave(saved, 'iptables-save.txt');
    expect(warnings).toEqual([]);
    const result = servicesFromNetfilter(tables, 'worker-1');
    expect(result.warnings).toEqual([]);
    expectMatchesSpec(result.services, spec.services);
  });

  it('keeps the rule probabilities as the kernel reads them back and chains them into real shares', () => {
    const { tables } = parseIptablesSave(saved, 'iptables-save.txt');
    const multi = servicesFromNetfilter(tables, 'worker-1').services.find((s) => s.name === 'multi')!;
    // kube-proxy writes 0.2500000000, 0.3333333333, 0.5000000000; the statistic match stores
    // round(p * 2^31) and iptables-save prints it with %.11f:
    const fixedPoint = (p: number): number => Number((Math.round(p * 2 ** 31) / 2 ** 31).toFixed(11));
    expect(multi.endpoints.map((e) => e.ruleProbability)).toEqual([fixedPoint(0.25), fixedPoint(1 / 3), fixedPoint(0.5), undefined]);
    const [a, b, c, d] = multi.endpoints.map((e) => e.probability);
    const p = multi.endpoints.map((e) => e.ruleProbability ?? 1);
    expect(a).toBeCloseTo(p[0]!, 12);
    expect(b).toBeCloseTo((1 - p[0]!) * p[1]!, 12);
    expect(c).toBeCloseTo((1 - p[0]!) * (1 - p[1]!) * p[2]!, 12);
    expect(d).toBeCloseTo((1 - p[0]!) * (1 - p[1]!) * (1 - p[2]!), 12);
    // The KUBE-SEP chain names are the dump's; the spec does not give them.
    expect(multi.endpoints.every((e) => saved.includes(`:${e.sepChain} - [0:0]`))).toBe(true);
    expect(saved).toContain(`-j ${multi.svcChain}`);
  });

  it('does not list a stale KUBE-SVC chain that nothing jumps to (kube-proxy removes those late)', () => {
    const stale = saved.replace(
      '*nat\n',
      '*nat\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n-A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-BBBBBBBBBBBBBBBB\n-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 192.168.9.9:80\n',
    );
    const { tables, warnings } = parseIptablesSave(stale, 'iptables-save.txt');
    expect(warnings).toEqual([]);
    expect(tables['nat']!.chains['KUBE-SVC-AAAAAAAAAAAAAAAA']!.rules).toHaveLength(1);
    expectMatchesSpec(servicesFromNetfilter(tables, 'worker-1').services, spec.services);
  });

  it('reads the generator output directly (iptables-restore input order) the same way', () => {
    const { tables, warnings } = parseIptablesSave(kubeProxyRestoreInput(spec), 'restore-input.txt');
    expect(warnings).toEqual([]);
    expectMatchesSpec(servicesFromNetfilter(tables, 'worker-1').services, spec.services);
  });
});

describe('names without comments (kube-proxy above 1000 endpoints, or stripped dumps)', () => {
  const big = syntheticSpec(40, 30); // 1200 endpoints: large cluster mode
  const text = kubeProxyRestoreInput(big);

  it('names services from KUBE-SERVICES comments when only per-endpoint comments are gone', () => {
    expect(text).not.toContain(' -> ');
    const { tables } = parseIptablesSave(text, 'big.txt');
    const result = servicesFromNetfilter(tables, 'worker-1');
    expect(result.warnings).toEqual([]);
    expectMatchesSpec(result.services, big.services);
    expect(result.services.some((s) => s.recoveredByHash)).toBe(false);
  });

  it('recovers names from candidate names by recomputing the chain hash', () => {
    const noComments = text.replace(/ -m comment --comment ("[^"]*"|\S+)/g, '');
    expect(noComments).not.toContain('--comment');
    const { tables } = parseIptablesSave(noComments, 'stripped.txt');
    const candidates = big.services.map(({ namespace, name, portName, protocol }) => ({ namespace, name, portName: portName ?? '', protocol }));
    const result = servicesFromNetfilter(tables, 'worker-1', candidates);
    expect(result.warnings).toEqual([]);
    expectMatchesSpec(result.services, big.services);
    expect(result.services.every((s) => s.recoveredByHash === true)).toBe(true);

    const unnamed = servicesFromNetfilter(tables, 'worker-1');
    expect(unnamed.services.every((s) => s.namespace === '' && s.name.startsWith('KUBE-SVC-'))).toBe(true);
    expect(unnamed.warnings).toHaveLength(big.services.length);
    expect(unnamed.warnings[0]!.message).toMatch(/no comment names the service of KUBE-SVC-[A-Z2-7]{16} and no candidate/);
  });
});

describe('IPv6 (ip6tables-save)', () => {
  it('reads /128 cluster IPs and [address]:port DNAT targets', () => {
    // kube-proxy hashes the endpoint as net.JoinHostPort gives it: "[fd00:10:244::5]:80".
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-VB6W3Y75GEBXG6TR - [0:0]',
      ':KUBE-SEP-B5KSAZYKX6VBXWEY - [0:0]',
      '-A KUBE-SERVICES -d fd00:10:96::10/128 -p tcp -m comment --comment "default/web6:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-VB6W3Y75GEBXG6TR',
      '-A KUBE-SVC-VB6W3Y75GEBXG6TR -m comment --comment "default/web6:http -> [fd00:10:244::5]:80" -j KUBE-SEP-B5KSAZYKX6VBXWEY',
      '-A KUBE-SEP-B5KSAZYKX6VBXWEY -p tcp -m comment --comment "default/web6:http" -m tcp -j DNAT --to-destination [fd00:10:244::5]:80',
      'COMMIT',
    ].join('\n');
    const { services, warnings } = servicesFromNetfilter(parseIptablesSave(text, 'ip6tables-save.txt').tables, 'node');
    expect(warnings).toEqual([]);
    expect(services).toMatchObject([
      { namespace: 'default', name: 'web6', portName: 'http', clusterIP: 'fd00:10:96::10', port: 80, endpoints: [{ ip: 'fd00:10:244::5', port: 80, probability: 1 }] },
    ]);
  });
});

describe('services from real kube-proxy dumps in the corpus', () => {
  const parse = (file: string, fragmentTable?: string) =>
    parseIptablesSave(readFileSync(join(corpus, file), 'utf8'), file, fragmentTable === undefined ? {} : { fragmentTable });

  it('calico_felix-fv_iptables-dump.txt: one service with an endpoint, three rejected for having none', () => {
    const { services, warnings } = servicesFromNetfilter(parse('calico_felix-fv_iptables-dump.txt').tables, 'node');
    expect(warnings).toEqual([]);
    expect(services.map((s) => [`${s.namespace}/${s.name}:${s.portName}`, s.protocol, s.clusterIP, s.port, s.noEndpointsReject])).toEqual([
      ['default/kubernetes:https', 'tcp', '10.96.0.1', 443, false], // nat line 73
      ['kube-system/kube-dns:dns', 'udp', '10.96.0.10', 53, true], // filter line 35
      ['kube-system/kube-dns:dns-tcp', 'tcp', '10.96.0.10', 53, true], // line 36
      ['kube-system/kube-dns:metrics', 'tcp', '10.96.0.10', 9153, true], // line 37
    ]);
    // line 75 "-A KUBE-SVC-NPX46M4PTMTKRN6Y -j KUBE-SEP-QAX236RR3UXXQODE", line 70 "DNAT --to-destination 10.128.0.183:6443"
    expect(services[0]!.svcChain).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
    expect(services[0]!.endpoints).toEqual([{ ip: '10.128.0.183', port: 6443, probability: 1, sepChain: 'KUBE-SEP-QAX236RR3UXXQODE' }]);
    expect(services[1]!.endpoints).toEqual([]);
  });

  it('gravity `iptables-save | grep` fragments read as nat: three service ports', () => {
    const { services, warnings } = servicesFromNetfilter(parse('gravity_kube-proxy-iptables-save-grep.txt', 'nat').tables, 'kevin-test1');
    const dns = services.find((s) => s.portName === 'dns')!;
    // line 41: -d 10.100.214.177/32 -p udp "kube-system/kube-dns:dns cluster IP" --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
    expect(dns).toMatchObject({ namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.100.214.177', port: 53, protocol: 'udp', svcChain: 'KUBE-SVC-TCOU7JCQXEZGVUNU' });
    // lines 48-50: three SEP jumps, 0.33332999982 / 0.50000000000 / last; only KUBE-SEP-XHBRZSJMEH6MYGK7's DNAT is in the paste (line 55)
    expect(dns.endpoints).toEqual([
      { ip: '10.244.26.3', port: 53, probability: 0.33332999982, ruleProbability: 0.33332999982, sepChain: 'KUBE-SEP-XHBRZSJMEH6MYGK7' },
    ]);
    expect(warnings.map((w) => w.line)).toEqual([49, 50]);
    expect(warnings[0]!.message).toContain('KUBE-SEP-HISYQ42PVY4ARKND');
    // line 43: "kube-system/kube-dns:dns-tcp cluster IP" -p tcp --dport 53 -j KUBE-SVC-ERIFXISQEP7F7OF4 (chain not in the paste)
    expect(services.find((s) => s.portName === 'dns-tcp')).toMatchObject({ protocol: 'tcp', clusterIP: '10.100.214.177', port: 53, endpoints: [] });
    // lines 59-62, 66-68 and 71-73: NodePort 32009, cluster IP 10.100.169.61:3009, endpoint 10.162.0.6:3009
    expect(services.find((s) => s.name === 'gravity-site')).toMatchObject({
      portName: 'web',
      clusterIP: '10.100.169.61',
      port: 3009,
      nodePorts: [32009],
      svcChain: 'KUBE-SVC-OFJYUSYH7DQHBRC2',
      endpoints: [{ ip: '10.162.0.6', port: 3009, probability: 1, sepChain: 'KUBE-SEP-INXK3UZ5UZJK7GSG' }],
    });
    expect(services).toHaveLength(3);
  });

  it('calico-issue-741 fragment: names from SVC-chain comments, protocol decided by the hash', () => {
    const { services } = servicesFromNetfilter(parse('calico-issue-741_iptables-save-c_fragment.txt', 'nat').tables, 'node');
    // lines 1-2: -A KUBE-SVC-NPX46M4PTMTKRN6Y "default/kubernetes:https"; -A KUBE-SVC-TCOU7JCQXEZGVUNU "kube-system/kube-dns:dns"
    // No -p on those rules: only sha256("default/kubernetes:https" + "tcp") gives NPX46M4PTMTKRN6Y.
    expect(services.map((s) => [`${s.namespace}/${s.name}:${s.portName}`, s.protocol, s.svcChain])).toEqual([
      ['default/kubernetes:https', 'tcp', 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
      ['kube-system/kube-dns:dns', 'udp', 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
    ]);
  });

  it('k8s-issue-105208: IPVS mode programs no KUBE-SVC chains, so no services', () => {
    expect(servicesFromNetfilter(parse('k8s-issue-105208_ipvs-mode-missing-rules_iptables-save.txt').tables, 'node')).toEqual({ services: [], warnings: [] });
  });
});

describe('a KUBE-SEP whose DNAT sends nowhere (kubernetes/kubernetes#114537)', () => {
  const rules = (dnat: string) =>
    [
      '*nat',
      ':KUBE-SEP-DASZGVVO7T2FMT4N - [0:0]',
      ':KUBE-SVC-OEYFLNX2UKKSAKI7 - [0:0]',
      '-A KUBE-SEP-DASZGVVO7T2FMT4N -s 10.6.214.12/32 -m comment --comment "ns/exporter:http-metrics" -j KUBE-MARK-MASQ',
      `-A KUBE-SEP-DASZGVVO7T2FMT4N -p tcp -m comment --comment "ns/exporter:http-metrics" -m tcp -j DNAT ${dnat}`,
      '-A KUBE-SVC-OEYFLNX2UKKSAKI7 -m comment --comment "ns/exporter:http-metrics -> 10.6.214.12:9100" -j KUBE-SEP-DASZGVVO7T2FMT4N',
      'COMMIT',
      '',
    ].join('\n');

  it('is not given the comment\'s "-> ip:port": no endpoint, one warning on the DNAT line', () => {
    const { tables } = parseIptablesSave(rules('--to-destination :0 --persistent --to-destination :0 --persistent --to-destination 0.0.0.0:0'), 'f');
    const result = servicesFromNetfilter(tables, 'worker1');
    expect(result.services.map((s) => [s.name, s.endpoints])).toEqual([['exporter', []]]);
    expect(result.warnings.filter((w) => /names no endpoint/.test(w.message)).map((w) => w.line)).toEqual([5]);
  });

  it('a DNAT to an address and port is the endpoint, as before', () => {
    const { tables } = parseIptablesSave(rules('--to-destination 10.6.214.12:9100'), 'f');
    const result = servicesFromNetfilter(tables, 'worker1');
    expect(result.services[0]?.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.6.214.12:9100']);
    expect(result.warnings.filter((w) => /names no endpoint/.test(w.message))).toEqual([]);
  });
});

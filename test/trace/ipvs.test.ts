// kube-proxy's IPVS mode and ip sets, on public dumps (test/corpus/SOURCES.md: tkng's kind
// node k8s-guide-worker, kubeadm#1461's nat rules): IPVS cannot run on the team's machines
// (no ip_vs module), so the expected values are read off these dumps' own text.
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceResult } from '../../src/trace/model.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseIpvsadm } from '../../src/topology/parse/ipvsadm.ts';
import { parseIpset } from '../../src/topology/parse/ipset.ts';
import { matchDumpedSet } from '../../src/trace/ipset-match.ts';
import { recogniseContent } from '../../src/topology/inputs/recognise.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const corpus = join(repoRoot, 'test/corpus/ipvs');
const ipvsadm = readFileSync(join(corpus, 'tkng_ipvsadm-ln.txt'), 'utf8');
const ipsets = readFileSync(join(corpus, 'tkng_ipset-list.txt'), 'utf8');
const natRules = readFileSync(join(corpus, 'kubeadm-1461_kube-proxy-ipvs-nat-rules.txt'), 'utf8');

describe('ipvsadm -Ln and -Sn', () => {
  it('reads every virtual service with its scheduler and real servers (weights, Masq)', () => {
    const { records, warnings } = parseIpvsadm(ipvsadm, 'ipvsadm.txt');
    expect(warnings).toEqual([]);
    expect(records).toHaveLength(ipvsadm.split('\n').filter((l) => /^(TCP|UDP)\s/.test(l)).length);
    const web = records.find((s) => s.address === '10.96.119.228' && s.port === 80)!;
    expect(web).toMatchObject({ protocol: 'tcp', scheduler: 'rr' });
    expect(web.realServers.map((r) => `${r.address}:${r.port} ${r.forward} ${r.weight}`)).toEqual(['10.244.1.6:80 masq 1', '10.244.2.4:80 masq 1']);
    expect(records.find((s) => s.protocol === 'udp')).toMatchObject({ address: '10.96.0.10', port: 53 });
  });

  it('reads the save form (-Sn) the same way, persistence included', () => {
    const save = '-A -t 10.96.0.1:443 -s rr -p 10800\n-a -t 10.96.0.1:443 -r 172.18.0.2:6443 -m -w 1\n-a -t 10.96.0.1:443 -r 172.18.0.3:6443 -m -w 3\n';
    const { records, warnings } = parseIpvsadm(save, 's.txt');
    expect(warnings).toEqual([]);
    expect(records).toEqual([expect.objectContaining({ protocol: 'tcp', address: '10.96.0.1', port: 443, scheduler: 'rr', persistentSeconds: 10800 })]);
    expect(records[0]!.realServers.map((r) => [r.address, r.forward, r.weight])).toEqual([['172.18.0.2', 'masq', 1], ['172.18.0.3', 'masq', 3]]);
    expect(recogniseContent(save)).toBe('ipvs');
  });

  it('a line it cannot read is a warning with its line; the rest still counts', () => {
    const damaged = ipvsadm.replace('TCP  10.96.0.1:443 rr', 'TCP  10.96.0.1:443x rr');
    const { records, warnings } = parseIpvsadm(damaged, 'ipvsadm.txt');
    const line = damaged.split('\n').findIndex((l) => l.includes('443x')) + 1;
    expect(warnings[0]).toMatchObject({ file: 'ipvsadm.txt', line, message: 'expected ADDRESS:PORT after the protocol' });
    expect(records.length).toBe(parseIpvsadm(ipvsadm, 'x').records.length - 1);
  });
});

describe('ipset list and -m set --match-set', () => {
  const { records, warnings } = parseIpset(ipsets, 'ipset.txt');
  const set = (name: string) => {
    const found = records.find((s) => s.name === name)!;
    return { members: found.members, type: found.type };
  };

  it('reads each set\'s type and members', () => {
    expect(warnings).toEqual([]);
    expect(records.map((s) => `${s.name} ${s.type} ${s.members.length}`)).toEqual(['KUBE-CLUSTER-IP hash:ip,port 9', 'KUBE-LOOP-BACK hash:ip,port,ip 2']);
    expect(recogniseContent(ipsets)).toBe('ipset');
    const saved = parseIpset('create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\nadd KUBE-NODE-PORT-TCP 30064\n', 's.txt');
    expect(saved.records).toEqual([expect.objectContaining({ name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', members: ['30064'] })]);
  });

  it('a member that is no address of an address set (a redaction, a typo) is one warning and kept out; the others stay', () => {
    const text = 'Name: local-ips\nType: hash:ip\nMembers:\n10.206.32.10 timeout 0\nXXX.XXX.174.108 timeout 0\nnode-a\n127.0.0.1 timeout 0\n\nName: nets\nType: hash:net\nMembers:\n10.244.0.0/16\nfd00::/64\n\nName: ports\nType: bitmap:port\nMembers:\ntcp:30064\n';
    const read = parseIpset(text, 'k.txt');
    expect(read.records.map((r) => [r.name, r.members])).toEqual([
      ['local-ips', ['10.206.32.10', '127.0.0.1']],
      ['nets', ['10.244.0.0/16', 'fd00::/64']],
      ['ports', ['tcp:30064']],
    ]);
    expect(read.warnings.map((w) => `${w.line} ${w.message}`)).toEqual([
      '5 XXX.XXX.174.108 is a placeholder or redacted address, not an address: member of set local-ips dropped, not guessed',
      '6 set local-ips (hash:ip): member node-a is not an address; dropped',
    ]);
  });

  it('hash:ip,port with dst,dst matches the service address and its protocol:port, as the set lists them', () => {
    const clusterIP = set('KUBE-CLUSTER-IP');
    // "10.96.119.228,tcp:80" and "10.96.0.10,udp:53" are members; tcp:53 of 10.96.0.10 is too, udp:80 of the web service is not.
    expect(matchDumpedSet(clusterIP, ['dst', 'dst'], { src: '10.244.1.9', dst: '10.96.119.228', sport: 40000, dport: 80, proto: 'tcp' }).matches).toBe(true);
    expect(matchDumpedSet(clusterIP, ['dst', 'dst'], { src: '10.244.1.9', dst: '10.96.0.10', sport: 40000, dport: 53, proto: 'udp' }).matches).toBe(true);
    expect(matchDumpedSet(clusterIP, ['dst', 'dst'], { src: '10.244.1.9', dst: '10.96.119.228', sport: 40000, dport: 80, proto: 'udp' }).matches).toBe(false);
    expect(matchDumpedSet(clusterIP, ['dst', 'dst'], { src: '10.244.1.9', dst: '10.96.119.228', sport: 40000, dport: 443, proto: 'tcp' }).matches).toBe(false);
  });

  it('hash:ip,port,ip with dst,dst,src matches only the hairpin (endpoint talking to itself through the service)', () => {
    const loopBack = set('KUBE-LOOP-BACK');
    expect(matchDumpedSet(loopBack, ['dst', 'dst', 'src'], { src: '10.244.1.6', dst: '10.244.1.6', sport: 40000, dport: 80, proto: 'tcp' }).matches).toBe(true);
    expect(matchDumpedSet(loopBack, ['dst', 'dst', 'src'], { src: '10.244.1.9', dst: '10.244.1.6', sport: 40000, dport: 80, proto: 'tcp' }).matches).toBe(false);
  });

  it('bitmap:port and list:set', () => {
    const ports = { members: ['30064'], type: 'bitmap:port' };
    expect(matchDumpedSet(ports, ['dst'], { src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 30064, proto: 'tcp' }).matches).toBe(true);
    expect(matchDumpedSet(ports, ['dst'], { src: '1.1.1.1', dst: '2.2.2.2', sport: 1, dport: 30065, proto: 'tcp' }).matches).toBe(false);
    const nets = { members: ['10.0.0.0/8'], type: 'hash:net', nomatch: ['10.1.0.0/16'] };
    const list = { members: ['nets'], type: 'list:set', lookup: (name: string) => (name === 'nets' ? nets : undefined) };
    expect(matchDumpedSet(list, ['src'], { src: '10.2.0.1', dst: '2.2.2.2', proto: 'tcp' }).matches).toBe(true);
    expect(matchDumpedSet(list, ['src'], { src: '10.1.0.1', dst: '2.2.2.2', proto: 'tcp' }).matches).toBe(false);
  });
});

describe('podpath trace through kube-proxy IPVS mode', () => {
  // The node's own interfaces and routes are written here (the public dumps do not have them):
  // k8s-guide-worker at 192.168.224.4 (its NodePort virtual service), the web service's ClusterIP
  // 10.96.119.228 on kube-ipvs0 (`kubectl get svc web` in the same dump), kindnet's /32 pod routes.
  const dir = mkdtempSync(join(tmpdir(), 'podpath-ipvs-'));
  const node = join(dir, 'k8s-guide-worker');
  mkdirSync(join(node, 'pods', 'client'), { recursive: true });
  writeFileSync(join(node, 'ip-addr.txt'), [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '2: vethc1@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default',
    '    link/ether 6e:1a:2b:3c:4d:01 brd ff:ff:ff:ff:ff:ff link-netns client',
    '    inet 10.244.1.1/32 scope global vethc1',
    '7: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default',
    '    link/ether 22:76:01:f0:71:9f brd ff:ff:ff:ff:ff:ff',
    '    inet 10.96.119.228/32 scope global kube-ipvs0',
    '       valid_lft forever preferred_lft forever',
    '10: eth0@if11: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default',
    '    link/ether 02:42:c0:a8:e0:04 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
    '    inet 192.168.224.4/20 brd 192.168.239.255 scope global eth0',
    '',
  ].join('\n'));
  writeFileSync(join(node, 'ip-route.txt'), [
    'default via 192.168.224.1 dev eth0',
    '10.244.0.0/24 via 192.168.224.3 dev eth0',
    '10.244.1.9 dev vethc1 scope host',
    '10.244.2.0/24 via 192.168.224.5 dev eth0',
    '192.168.224.0/20 dev eth0 proto kernel scope link src 192.168.224.4',
    '',
  ].join('\n'));
  writeFileSync(join(node, 'ip-neigh.txt'), '192.168.224.5 dev eth0 lladdr 02:42:c0:a8:e0:05 REACHABLE\n10.244.1.9 dev vethc1 lladdr 6e:1a:2b:3c:4d:02 REACHABLE\n');
  writeFileSync(join(node, 'iptables-save.txt'), [
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]', ':KUBE-NODE-PORT - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-SERVICES - [0:0]',
    // kube-proxy's jumps from the built-in chains, as tkng's `iptables -t nat -nvL` shows them.
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    natRules.trimEnd(),
    'COMMIT', '',
  ].join('\n'));
  writeFileSync(join(node, 'ipset-list.txt'), ipsets);
  writeFileSync(join(node, 'ipvsadm-ln.txt'), ipvsadm);
  writeFileSync(join(node, 'pods', 'client', 'ip-addr.txt'), [
    '3: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default',
    '    link/ether 6e:1a:2b:3c:4d:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
    '    inet 10.244.1.9/24 brd 10.244.1.255 scope global eth0',
    '',
  ].join('\n'));
  writeFileSync(join(node, 'pods', 'client', 'ip-route.txt'), 'default via 10.244.1.1 dev eth0\n10.244.1.0/24 via 10.244.1.1 dev eth0 src 10.244.1.9\n10.244.1.1 dev eth0 scope link src 10.244.1.9\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('topology reads the IPVS table and the ip sets', async () => {
    const run = await runPodpath(['topology', dir, '--json']);
    expect(run.stderr).toBe('');
    const topology = JSON.parse(run.stdout) as Topology;
    const netfilter = topology.nodes[0]!.netns.netfilter!;
    expect(netfilter.ipvs?.length).toBe(parseIpvsadm(ipvsadm, 'x').records.length);
    expect(Object.keys(netfilter.ipsets ?? {}).sort()).toEqual(['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK']);
  });

  it('picks each real server with its share, says the DNAT is IPVS\'s at LOCAL_IN, and the dumped ipset decides KUBE-SERVICES', async () => {
    const run = await runPodpath(['trace', dir, '--from', 'client', '--to', '10.96.119.228:80', '--json']);
    const result = JSON.parse(run.stdout) as TraceResult;
    // ipvsadm: "TCP 10.96.119.228:80 rr" with 10.244.1.6:80 and 10.244.2.4:80, both Masq weight 1.
    expect(result.paths.map((p) => [p.endpoint, p.probability])).toEqual([['10.244.1.6:80', 0.5], ['10.244.2.4:80', 0.5]]);
    for (const path of result.paths) {
      const steps = path.hops.flatMap((h) => h.steps);
      const ipvs = steps.find((s) => s.type === 'nat' && s.table === 'ipvs');
      expect(ipvs).toMatchObject({ chain: 'LOCAL_IN', action: 'dnat', diffs: [{ field: 'dst', old: '10.96.119.228', new: path.endpoint!.split(':')[0] }] });
      expect(ipvs!.explanation).toContain('at the LOCAL_IN hook, after iptables INPUT, not in nat PREROUTING');
      // No nat rule of PREROUTING rewrote the destination: KUBE-SERVICES only ACCEPTs (the pod's source is in 10.244.0.0/16).
      expect(steps.filter((s) => s.type === 'nat' && s.table === 'nat')).toEqual([]);
      const accept = steps.find((s) => s.type === 'netfilter' && s.chain === 'KUBE-SERVICES' && s.action === 'accept');
      expect(accept && accept.type === 'netfilter' ? accept.rule : '').toBe('-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT');
      // KUBE-POSTROUTING runs after IPVS: unmarked and not a hairpin, so nothing is masqueraded.
      expect(steps.some((s) => s.type === 'netfilter' && s.chain === 'POSTROUTING' && s.rule.includes('KUBE-POSTROUTING'))).toBe(true);
      expect(steps.some((s) => s.type === 'note' && s.explanation.includes('ipset'))).toBe(false);
    }
    const remote = result.paths.find((p) => p.endpoint === '10.244.2.4:80')!;
    expect(remote.hops.at(-1)).toMatchObject({ at: 'k8s-guide-worker', interface: 'eth0', packet: { src: '10.244.1.9', dst: '10.244.2.4', dport: 80 } });
  });

  it('a connection the node itself makes is taken at LOCAL_OUT, marked by KUBE-MARK-MASQ and masqueraded by KUBE-POSTROUTING', async () => {
    const run = await runPodpath(['trace', dir, '--from', 'k8s-guide-worker', '--to', '10.96.119.228:80', '--json']);
    const result = JSON.parse(run.stdout) as TraceResult;
    expect(result.paths.map((p) => [p.endpoint, p.probability])).toEqual([['10.244.1.6:80', 0.5], ['10.244.2.4:80', 0.5]]);
    const remote = result.paths.find((p) => p.endpoint === '10.244.2.4:80')!;
    const steps = remote.hops.flatMap((h) => h.steps);
    const kinds = steps.filter((s) => s.type === 'nat' || (s.type === 'netfilter' && s.action === 'jump')).map((s) => (s.type === 'nat' || s.type === 'netfilter' ? `${s.table} ${s.chain} ${s.type === 'nat' ? s.action : s.rule}` : ''));
    // The node's source 192.168.224.4 is outside 10.244.0.0/16: kubeadm#1461's rule marks it; IPVS picks; KUBE-POSTROUTING masquerades.
    expect(kinds).toEqual([
      'nat OUTPUT -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'nat KUBE-SERVICES -A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
      'nat KUBE-SERVICES -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      'ipvs LOCAL_OUT dnat',
      'nat POSTROUTING -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      'nat KUBE-POSTROUTING masquerade',
    ]);
    expect(steps.find((s) => s.type === 'nat' && s.table === 'ipvs')!.explanation).toContain('at the LOCAL_OUT hook');
    expect(remote.hops.at(-1)).toMatchObject({ interface: 'eth0', packet: { src: '192.168.224.4', dst: '10.244.2.4', dport: 80 } });
  });
});

// The netfilter evaluator on rules read by the real iptables-save parser. Expected verdicts follow
// iptables semantics (iptables(8), iptables-extensions(8), xt_MARK: mark = (mark & ~mask) ^ value).
import { describe, expect, it } from 'vitest';
import { evaluateHook, type HookInput } from '../../src/trace/netfilter.ts';
import { newConntrack, type Flow } from '../../src/trace/flow.ts';
import { addressType } from '../../src/trace/routing.ts';
import { enumerateBranches } from '../../src/trace/chooser.ts';
import type { NetfilterStep, Packet, Step } from '../../src/trace/model.ts';
import { addr, iface, netfilter, ns } from './fixtures.ts';
import type { Service } from '../../src/topology/model.ts';
import { endpointPick } from '../../src/trace/endpoint-pick.ts';

const node = (rules: string) => ns('n1', 'node', { interfaces: [iface(2, 'eth0', { addresses: [addr('10.0.0.1', 24)] })], netfilter: netfilter(rules) });
const packet: Packet = { src: '10.244.1.5', dst: '10.96.0.10', sport: 40000, dport: 80, proto: 'tcp' };
const flow = (p: Packet = packet): Flow => ({ packet: p, mark: 0, ct: newConntrack(p), ttl: 64 });

function run(rules: string, hook: HookInput['hook'] = 'PREROUTING', extra: Partial<HookInput> = {}) {
  const namespace = node(rules);
  return evaluateHook({
    ns: namespace, hook, flow: flow(), inIface: 'eth0', choose: () => true,
    addressType: (a, l) => addressType(namespace, a, l), ipset: () => undefined, ...extra,
  });
}
const rulesOf = (steps: Step[]) => steps.filter((s): s is NetfilterStep => s.type === 'netfilter').map((s) => `${s.chain}:${s.action}`);

describe('chain walking', () => {
  it('a goto returns to the caller of the chain that jumped, not to the chain itself', () => {
    const result = run(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A FORWARD -j A
-A FORWARD -j DROP
-A A -g B
-A A -j ACCEPT
-A B -j RETURN
COMMIT
`, 'FORWARD');
    // RETURN in B (entered by goto from A) resumes FORWARD after its jump to A, skipping A's ACCEPT.
    expect(rulesOf(result.steps)).toEqual(['FORWARD:jump', 'A:goto', 'B:return', 'FORWARD:drop']);
    expect(result.verdict.kind).toBe('drop');
  });

  it('RETURN in a built-in chain applies its policy', () => {
    const result = run('*filter\n:FORWARD DROP [0:0]\n-A FORWARD -j RETURN\n-A FORWARD -j ACCEPT\nCOMMIT\n', 'FORWARD');
    expect(rulesOf(result.steps)).toEqual(['FORWARD:return', 'FORWARD:policy-drop']);
    expect(result.verdict).toEqual({ kind: 'drop', rule: ':FORWARD DROP', reason: 'the filter FORWARD policy DROP drops the packet' });
  });

  it('walks raw, mangle and nat in PREROUTING in priority order and stops nat at the first NAT target', () => {
    const result = run(`*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.2.2:8080
-A PREROUTING -j DNAT --to-destination 1.1.1.1
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j LOG
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x1/0xff
COMMIT
`);
    expect(result.steps.filter((s) => s.type === 'netfilter' || s.type === 'nat').map((s) => `${(s as NetfilterStep).table}:${(s as NetfilterStep).action}`)).toEqual(['raw:log', 'raw:policy-accept', 'mangle:mark', 'mangle:policy-accept', 'nat:dnat']);
    expect(result.flow.packet).toEqual({ ...packet, dst: '10.244.2.2', dport: 8080 });
    expect(result.flow.ct.dnat).toBe(true);
    expect(result.flow.mark).toBe(1);
  });

  it('skips the nat table for an untracked connection (raw NOTRACK)', () => {
    const result = run('*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j NOTRACK\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to-destination 1.1.1.1\nCOMMIT\n');
    expect(result.flow.packet.dst).toBe('10.96.0.10');
    expect(result.flow.ct.state).toBe('UNTRACKED');
  });
});

describe('marks', () => {
  it('computes MARK --set-xmark, --or-mark and -m mark as xt_MARK does', () => {
    const result = run(`*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x4000/0x4000
-A PREROUTING -j MARK --or-mark 0x10
-A PREROUTING -j MARK --set-xmark 0x4000/0x0
-A PREROUTING -m mark --mark 0x10/0x4010 -j ACCEPT
COMMIT
`);
    // 0 → 0x4000 → 0x4010 → (0x4010 & ~0) ^ 0x4000 = 0x10; then 0x10 & 0x4010 == 0x10 matches.
    expect(result.flow.mark).toBe(0x10);
    expect(rulesOf(result.steps)).toEqual(['PREROUTING:mark', 'PREROUTING:mark', 'PREROUTING:mark', 'PREROUTING:accept']);
  });
});

describe('matches', () => {
  const accepts = (match: string, hook: HookInput['hook'] = 'PREROUTING', extra: Partial<HookInput> = {}) =>
    run(`*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n-A ${hook} ${match} -j ACCEPT\nCOMMIT\n*mangle\n:PREROUTING DROP [0:0]\n-A PREROUTING ${match} -j ACCEPT\nCOMMIT\n`, hook, extra).verdict.kind === 'accept';

  it('conntrack sees the first packet as NEW', () => {
    expect(accepts('-m conntrack --ctstate NEW')).toBe(true);
    expect(accepts('-m conntrack --ctstate RELATED,ESTABLISHED')).toBe(false);
    expect(accepts('-m conntrack --ctstate INVALID')).toBe(false);
    expect(accepts('-m state --state NEW')).toBe(true);
  });

  it('addrtype LOCAL comes from the namespace\'s own addresses', () => {
    const local = run('*filter\n:INPUT DROP [0:0]\n-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT\nCOMMIT\n', 'INPUT', { flow: flow({ ...packet, dst: '10.0.0.1' }) });
    expect(local.verdict.kind).toBe('accept');
    expect(accepts('-m addrtype --dst-type LOCAL', 'INPUT')).toBe(false);
    expect(accepts('-m addrtype ! --dst-type LOCAL', 'INPUT')).toBe(true);
  });

  it('ports, multiport, protocol, interfaces with +, and the SYN flags of a first packet', () => {
    expect(accepts('-p tcp -m tcp --dport 80')).toBe(true);
    expect(accepts('-p udp -m udp --dport 80')).toBe(false);
    expect(accepts('-p tcp -m tcp --dport 1:79')).toBe(false);
    expect(accepts('-p tcp -m multiport --dports 443,70:90')).toBe(true);
    expect(accepts('-i eth+')).toBe(true);
    expect(accepts('! -i eth+')).toBe(false);
    expect(accepts('-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN')).toBe(true);
    expect(accepts('-p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK')).toBe(false);
    expect(accepts('-s 10.244.0.0/16 -d 10.96.0.10/32')).toBe(true);
    expect(accepts('! -s 10.244.0.0/16')).toBe(false);
  });

  it('an ipset whose members are not dumped is assumed not to hold the address, and the step says so', () => {
    const result = run('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m set --match-set blocked src -j DROP\nCOMMIT\n', 'FORWARD');
    expect(result.verdict.kind).toBe('accept');
    expect(result.steps.some((s) => s.type === 'note' && s.explanation.includes('the members of ipset blocked are not in the dumps'))).toBe(true);
    const known = run('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m set --match-set blocked src -j DROP\nCOMMIT\n', 'FORWARD', { ipset: () => ({ members: ['10.244.0.0/16'] }) });
    expect(known.verdict.kind).toBe('drop');
  });

  it('a match podpath does not model is assumed not to match, with a note', () => {
    const result = run('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x10" -j DROP\nCOMMIT\n', 'FORWARD');
    expect(result.verdict.kind).toBe('accept');
    expect(result.steps.find((s) => s.type === 'note')!.explanation).toBe('podpath does not model "-m u32 --u32 0>>22&0x3C@12>>26&0x3F=0x10"; it assumed the rule does not match');
  });

  it('REJECT reports what the client sees', () => {
    const reset = run('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n', 'FORWARD');
    expect(reset.verdict).toMatchObject({ kind: 'reject', clientSees: 'a TCP reset (connection refused)' });
    const icmp = run('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j REJECT\nCOMMIT\n', 'FORWARD');
    expect(icmp.verdict).toMatchObject({ kind: 'reject', clientSees: 'icmp port unreachable' });
  });
});

describe('statistic branches', () => {
  it('nested random rules give each combination the product of its choices', () => {
    const rules = `*nat
:PREROUTING ACCEPT [0:0]
:X - [0:0]
-A PREROUTING -m statistic --mode random --probability 0.25 -j X
-A PREROUTING -j DNAT --to-destination 3.3.3.3
-A X -m statistic --mode random --probability 0.5 -j DNAT --to-destination 1.1.1.1
-A X -j DNAT --to-destination 2.2.2.2
COMMIT
`;
    const namespace = node(rules);
    const { results } = enumerateBranches((chooser) =>
      evaluateHook({ ns: namespace, hook: 'PREROUTING', flow: flow(), choose: (p) => chooser.choose(p), addressType: () => 'UNICAST', ipset: () => undefined }).flow.packet.dst,
    );
    const shares = Object.fromEntries(results.map((r) => [r.result, r.probability]));
    expect(shares).toEqual({ '1.1.1.1': 0.125, '2.2.2.2': 0.125, '3.3.3.3': 0.75 });
  });
});

describe('session affinity', () => {
  it('a first connection has no recent entry: the --rcheck rule does not match and the step says why', () => {
    // kube-proxy's sessionAffinity: ClientIP rules (proxier.go writeServiceToEndpointRules).
    const rules = `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SEP-1 - [0:0]
:KUBE-SEP-2 - [0:0]
-A PREROUTING -j KUBE-SVC-A
-A KUBE-SVC-A -m comment --comment "default/a -> 10.244.2.2:80" -m recent --name KUBE-SEP-2 --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j KUBE-SEP-2
-A KUBE-SVC-A -m comment --comment "default/a -> 10.244.1.1:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1
-A KUBE-SVC-A -m comment --comment "default/a -> 10.244.2.2:80" -j KUBE-SEP-2
-A KUBE-SEP-1 -p tcp -m comment --comment "default/a" -m recent --set --name KUBE-SEP-1 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.1:80
-A KUBE-SEP-2 -p tcp -m comment --comment "default/a" -m recent --set --name KUBE-SEP-2 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.2.2:80
COMMIT
`;
    // The service as the topology build reads these rules: the affinity rule is no draw, so two
    // endpoints, 1/2 each (kube-proxy's 1/(n−i)).
    const services: Service[] = [{
      namespace: 'default', name: 'a', port: 80, protocol: 'tcp', nodePorts: [], externalIPs: [], noEndpointsReject: false, seenOn: ['n1'], svcChain: 'KUBE-SVC-A',
      endpoints: [{ ip: '10.244.1.1', port: 80, probability: 0.5, sepChain: 'KUBE-SEP-1' }, { ip: '10.244.2.2', port: 80, probability: 0.5, sepChain: 'KUBE-SEP-2' }],
    }];
    const result = run(rules, 'PREROUTING', { endpointPick: (svc, sep) => endpointPick(services, svc, sep) });
    expect(result.flow.packet.dst).toBe('10.244.1.1');
    expect(result.steps.some((s) => s.type === 'note' && s.explanation.startsWith("session affinity (-m recent): a client's first connection has no recent entry"))).toBe(true);
    const dnat = result.steps.find((s) => s.type === 'nat')!;
    // The affinity rule is not an endpoint choice: endpoint 1 of 2, chosen with probability 1/2.
    expect(dnat.explanation).toBe('kube-proxy picks endpoint 1 of 2 with probability 1/2 and rewrites the destination to 10.244.1.1:80');
  });
});

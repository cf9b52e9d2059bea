// Each parser on what the real iproute2 / bridge-utils print for a namespace
// we configured ourselves (test/topology/netns-fixture.ts). Expected values:
// the configuration and the kernel's sysfs, never podpath's output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBrctlShow } from '../../src/topology/parse/brctl.ts';
import { parseBridgeFdb } from '../../src/topology/parse/bridge-fdb.ts';
import { parseIpAddr } from '../../src/topology/parse/ip-addr.ts';
import { parseBridgeJsonFdb, parseIpJsonAddr, parseIpJsonNeigh, parseIpJsonRoute } from '../../src/topology/parse/ip-json.ts';
import { parseIpNeigh } from '../../src/topology/parse/ip-neigh.ts';
import { parseIpRoute } from '../../src/topology/parse/ip-route.ts';
import { parseIpRule } from '../../src/topology/parse/ip-rule.ts';
import { parseSysctl } from '../../src/topology/parse/sysctl.ts';
import type { NetInterface, Route } from '../../src/topology/model.ts';
import { CONFIG, type Fixture, createFixture } from './netns-fixture.ts';
import { describeNeeding } from '../helpers/requires.ts';

let fx: Fixture;
const src = { file: 'dump.txt' };
/** What a chat window does to a pasted dump: every line break becomes a space. */
const flatten = (text: string) => text.replace(/\s*\n\s*/g, ' ');

describeNeeding(['netns', 'brctl'], 'parsers on a real namespace', () => {
  beforeAll(() => {
    fx = createFixture('prs');
  });
  afterAll(() => fx?.destroy());

  function byName(list: NetInterface[], name: string): NetInterface {
    const found = list.find((i) => i.name === name);
    if (!found) throw new Error(`no interface ${name} in ${list.map((i) => i.name).join(', ')}`);
    return found;
  }

  function checkInterfaces(list: NetInterface[], opts: { details: boolean; addresses: boolean }) {
    const c = CONFIG;
    const veth = byName(list, c.veth.host);
    expect(veth.index).toBe(Number(fx.sys(fx.node, c.veth.host, 'ifindex')));
    expect(veth.peerIndex).toBe(Number(fx.sys(fx.node, c.veth.host, 'iflink')));
    expect(veth.master).toBe(c.bridge.name);
    expect(veth.mtu).toBe(c.veth.mtu);
    expect(veth.mac).toBe(fx.sys(fx.node, c.veth.host, 'address'));
    expect(veth.state).toBe('UP');
    expect(veth.flags).toContain('UP');
    const vx = byName(list, c.vxlan.name);
    const br = byName(list, c.bridge.name);
    expect(br.index).toBe(Number(fx.sys(fx.node, c.bridge.name, 'ifindex')));
    if (opts.details) {
      expect(veth.kind).toBe('veth');
      expect(br.kind).toBe('bridge');
      expect(vx.kind).toBe('vxlan');
      expect(vx.vxlan).toEqual({ vni: c.vxlan.vni, port: c.vxlan.port, local: c.underlay.address, device: c.underlay.name, learning: false });
    }
    if (opts.addresses) {
      const under = byName(list, c.underlay.name);
      expect(under.addresses.filter((a) => a.family === 4)).toEqual([
        expect.objectContaining({ family: 4, address: c.underlay.address, prefixLength: c.underlay.prefix, scope: 'global' }),
      ]);
      expect(br.addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefixLength}`)).toEqual([`${c.bridge.address}/${c.bridge.prefix}`]);
      expect(vx.addresses.filter((a) => a.family === 4).map((a) => `${a.address}/${a.prefixLength}`)).toEqual([`${c.vxlan.address}/32`]);
    }
  }

  /** What `ip ARGS` prints in the node reads without a warning and as the kernel has it. */
  function readsClean(args: string[], opts: { details: boolean; addresses: boolean }): void {
    const r = parseIpAddr(fx.inNode(['ip', ...args]), src);
    expect(r.warnings).toEqual([]);
    checkInterfaces(r.records, opts);
  }

  describe('ip addr / ip link on a real namespace', () => {
    it('ip addr: indexes, @ifN peer, master, MTU, MAC and addresses match the kernel', () => {
      const r = parseIpAddr(fx.inNode(['ip', 'addr']), src);
      expect(r.warnings).toEqual([]);
      checkInterfaces(r.records, { details: false, addresses: true });
    });

    it('ip -d link: kinds and the vxlan id/dstport/local/dev/nolearning we configured', () => {
      readsClean(['-d', 'link'], { details: true, addresses: false });
    });

    it('ip -d addr (details and addresses together)', () => {
      readsClean(['-d', 'addr'], { details: true, addresses: true });
    });

    it('the same dumps flattened onto one line read the same', () => {
      const r = parseIpAddr(flatten(fx.inNode(['ip', '-d', 'addr'])), src);
      checkInterfaces(r.records, { details: true, addresses: true });
      expect(r.records.map((i) => i.name)).toEqual(parseIpAddr(fx.inNode(['ip', '-d', 'addr']), src).records.map((i) => i.name));
    });

    it("ip -o -d link and ip -o link (each block on one line, its lines joined by `\\`) read as ip's own lines", () => {
      readsClean(['-o', '-d', 'link'], { details: true, addresses: false });
      readsClean(['-o', 'link'], { details: false, addresses: false });
    });

    it('ip -o addr (one line per address, the name repeated on each) gives the interfaces and addresses ip -j addr gives', () => {
      const oneLine = parseIpAddr(fx.inNode(['ip', '-o', 'addr']), src);
      expect(oneLine.warnings).toEqual([]);
      const json = parseIpJsonAddr(fx.inNode(['ip', '-j', 'addr']), src).records;
      const view = (list: NetInterface[]) =>
        list.filter((i) => i.addresses.length > 0).map((i) => ({ index: i.index, name: i.name, addresses: i.addresses.map((a) => `${a.address}/${a.prefixLength} ${a.scope ?? ''}`) }));
      expect(view(oneLine.records)).toEqual(view(json));
      expect(view(oneLine.records).map((i) => i.name)).toEqual(expect.arrayContaining([CONFIG.underlay.name, CONFIG.bridge.name, CONFIG.vxlan.name]));
    });

    it('ip -s -s link: the counter rows are not taken for anything', () => {
      const r = parseIpAddr(fx.inNode(['ip', '-s', '-s', 'link']), src);
      expect(r.warnings).toEqual([]);
      checkInterfaces(r.records, { details: false, addresses: false });
    });

    it('ip -j addr and ip -j -d link', () => {
      const a = parseIpJsonAddr(fx.inNode(['ip', '-j', 'addr']), src);
      expect(a.warnings).toEqual([]);
      checkInterfaces(a.records, { details: false, addresses: true });
      const l = parseIpJsonAddr(fx.inNode(['ip', '-j', '-d', 'link']), src);
      expect(l.warnings).toEqual([]);
      checkInterfaces(l.records, { details: true, addresses: false });
    });

    it("the pod's eth0@ifN names the node's veth index, and the node's @ifN names the pod's eth0", () => {
      const pod = byName(parseIpAddr(fx.inPod(['ip', 'addr']), src).records, 'eth0');
      expect(pod.index).toBe(Number(fx.sys(fx.pod, 'eth0', 'ifindex')));
      expect(pod.peerIndex).toBe(Number(fx.sys(fx.node, CONFIG.veth.host, 'ifindex')));
      expect(pod.addresses[0]).toMatchObject({ address: CONFIG.pod.address, prefixLength: CONFIG.pod.prefix });
      expect(pod.linkNetns).toBe(fx.node);
    });
  });

  function checkRoutes(routes: Route[]) {
    const c = CONFIG;
    const find = (dst: string, table = 'main') => routes.find((r) => r.dst === dst && r.table === table);
    expect(find('default')).toMatchObject({ type: 'unicast', via: c.gateway, dev: c.underlay.name, proto: 'static', family: 4 });
    expect(find(c.peer.cidr)).toMatchObject({ via: c.peer.vtepAddress, dev: c.vxlan.name, onlink: true });
    expect(find(c.blackhole)).toMatchObject({ type: 'blackhole' });
    expect(find(`${c.underlay.address.replace(/\.\d+$/, '.0')}/${c.underlay.prefix}`)).toMatchObject({ dev: c.underlay.name, proto: 'kernel', scope: 'link', src: c.underlay.address });
    expect(find(c.unreachable)).toMatchObject({ type: 'unreachable' });
    expect(find(c.prohibit)).toMatchObject({ type: 'prohibit' });
    expect(find(c.metricRoute.dst)).toMatchObject({ via: c.metricRoute.via, metric: c.metricRoute.metric });
    const mp = find(c.multipath.dst);
    expect(mp?.nexthops).toEqual(c.multipath.hops.map((h) => ({ via: h.via, dev: c.underlay.name, weight: h.weight, onlink: false })));
  }

  describe('ip route / ip rule / ip neigh / bridge fdb / brctl on a real namespace', () => {
    it('ip route show table all: main and local tables, blackhole, onlink, multipath', () => {
      const r = parseIpRoute(fx.inNode(['ip', 'route', 'show', 'table', 'all']), src);
      expect(r.warnings).toEqual([]);
      checkRoutes(r.records);
      expect(r.records.find((x) => x.type === 'local' && x.dst === `${CONFIG.underlay.address}/32`)).toMatchObject({ table: 'local', scope: 'host' });
      expect(r.records.some((x) => x.family === 6 && x.dst === 'fe80::/64')).toBe(true);
      expect(r.records.find((x) => x.dst === CONFIG.tableRoute.dst)).toMatchObject({ table: CONFIG.tableRoute.table, via: CONFIG.tableRoute.via });
    });

    it('ip route flattened onto one line', () => {
      checkRoutes(parseIpRoute(flatten(fx.inNode(['ip', 'route'])), src).records);
    });

    it('ip -j route', () => {
      const r = parseIpJsonRoute(fx.inNode(['ip', '-j', 'route']), src);
      expect(r.warnings).toEqual([]);
      checkRoutes(r.records);
    });

    it('ip rule', () => {
      const r = parseIpRule(fx.inNode(['ip', 'rule']), src);
      expect(r.warnings).toEqual([]);
      expect(r.records.map((x) => [x.priority, x.table])).toEqual([[0, 'local'], [CONFIG.rule.priority, CONFIG.rule.table], [32766, 'main'], [32767, 'default']]);
      expect(r.records[1]?.fwmark).toBe(CONFIG.rule.fwmark);
    });

    it('ip neigh: the permanent entry for the peer VTEP', () => {
      for (const text of [fx.inNode(['ip', 'neigh']), flatten(fx.inNode(['ip', 'neigh']))]) {
        const r = parseIpNeigh(text, src);
        expect(r.warnings).toEqual([]);
        expect(r.records).toEqual([expect.objectContaining({ ip: CONFIG.peer.vtepAddress, dev: CONFIG.vxlan.name, mac: CONFIG.peer.mac, state: ['PERMANENT'] })]);
      }
    });

    it('bridge fdb show: the VXLAN dst entry and the learnt bridge port entries', () => {
      for (const text of [fx.inNode(['bridge', 'fdb', 'show']), flatten(fx.inNode(['bridge', 'fdb', 'show']))]) {
        const r = parseBridgeFdb(text, src);
        expect(r.warnings).toEqual([]);
        expect(r.records.filter((f) => f.dst !== undefined)).toEqual([
          expect.objectContaining({ mac: CONFIG.peer.mac, dev: CONFIG.vxlan.name, dst: CONFIG.peer.underlay, self: true, permanent: true }),
        ]);
        const bridgeMac = fx.sys(fx.node, CONFIG.veth.host, 'address');
        expect(r.records.find((f) => f.mac === bridgeMac && f.dev === CONFIG.veth.host)).toMatchObject({ master: CONFIG.bridge.name, permanent: true });
      }
    });

    it('ip -j neigh and bridge -j fdb say the same as their text forms', () => {
      const n = parseIpJsonNeigh(fx.inNode(['ip', '-j', 'neigh']), src);
      expect(n.warnings).toEqual([]);
      expect(n.records).toEqual([expect.objectContaining({ ip: CONFIG.peer.vtepAddress, dev: CONFIG.vxlan.name, mac: CONFIG.peer.mac, state: ['PERMANENT'] })]);
      const f = parseBridgeJsonFdb(fx.inNode(['bridge', '-j', 'fdb', 'show']), src);
      expect(f.warnings).toEqual([]);
      expect(f.records.filter((e) => e.dst !== undefined)).toEqual([
        expect.objectContaining({ mac: CONFIG.peer.mac, dev: CONFIG.vxlan.name, dst: CONFIG.peer.underlay, self: true, permanent: true }),
      ]);
      const text = parseBridgeFdb(fx.inNode(['bridge', 'fdb', 'show']), src).records;
      expect(f.records.map((e) => `${e.mac} ${e.dev} ${e.master ?? ''}`).sort()).toEqual(text.map((e) => `${e.mac} ${e.dev} ${e.master ?? ''}`).sort());
      // `bridge -j fdb show dev X` leaves ifname out.
      const dev = parseBridgeJsonFdb(fx.inNode(['bridge', '-j', 'fdb', 'show', 'dev', CONFIG.vxlan.name]), { file: 'f', defaultDev: CONFIG.vxlan.name });
      expect(dev.records.find((e) => e.dst !== undefined)).toMatchObject({ dev: CONFIG.vxlan.name, dst: CONFIG.peer.underlay });
    });

    it('bridge fdb show dev X leaves dev out of each line', () => {
      const r = parseBridgeFdb(fx.inNode(['bridge', 'fdb', 'show', 'dev', CONFIG.vxlan.name]), { file: 'f', defaultDev: CONFIG.vxlan.name });
      expect(r.records.find((f) => f.dst !== undefined)).toMatchObject({ dev: CONFIG.vxlan.name, dst: CONFIG.peer.underlay });
    });

    it('sysctl and ip netconf: the values /proc/sys holds', () => {
      const proc = (path: string) => fx.inNode(['cat', `/proc/sys/net/ipv4/${path}`]).trim();
      fx.inNode(['sysctl', '-q', '-w', `net.ipv4.conf.${CONFIG.bridge.name}.proxy_arp=1`]);
      const sysctl = parseSysctl(fx.inNode(['sysctl', 'net.ipv4.ip_forward', `net.ipv4.conf.${CONFIG.bridge.name}.forwarding`, `net.ipv4.conf.${CONFIG.bridge.name}.proxy_arp`]), src);
      expect(sysctl.warnings).toEqual([]);
      expect(sysctl.records.map((r) => [r.key, r.value])).toEqual([
        ['net.ipv4.ip_forward', proc('ip_forward')],
        [`net.ipv4.conf.${CONFIG.bridge.name}.forwarding`, proc(`conf/${CONFIG.bridge.name}/forwarding`)],
        [`net.ipv4.conf.${CONFIG.bridge.name}.proxy_arp`, '1'],
      ]);
      const netconf = parseSysctl(fx.inNode(['ip', 'netconf', 'show', 'dev', CONFIG.bridge.name]), src);
      expect(netconf.warnings).toEqual([]);
      const v4 = Object.fromEntries(netconf.records.filter((r) => r.key.startsWith('net.ipv4.')).map((r) => [r.key, r.value]));
      expect(v4).toEqual({
        [`net.ipv4.conf.${CONFIG.bridge.name}.forwarding`]: proc(`conf/${CONFIG.bridge.name}/forwarding`),
        [`net.ipv4.conf.${CONFIG.bridge.name}.rp_filter`]: proc(`conf/${CONFIG.bridge.name}/rp_filter`),
        [`net.ipv4.conf.${CONFIG.bridge.name}.mc_forwarding`]: proc(`conf/${CONFIG.bridge.name}/mc_forwarding`),
        [`net.ipv4.conf.${CONFIG.bridge.name}.proxy_arp`]: '1',
      });
    });

    it('brctl show: the bridge, its id from the MAC, and its port', () => {
      const text = fx.inNode(['brctl', 'show']);
      const bridgeId = `8000.${fx.sys(fx.node, CONFIG.bridge.name, 'address').replace(/:/g, '')}`;
      for (const t of [text, flatten(text)]) {
        const r = parseBrctlShow(t, src);
        expect(r.warnings).toEqual([]);
        // Two ports: the second comes on a continuation line.
        expect(r.records).toEqual([expect.objectContaining({ name: CONFIG.bridge.name, id: bridgeId, stp: false, ports: [CONFIG.secondPort, CONFIG.veth.host].sort() })]);
      }
    });
  });
});

// A throwaway node + pod built from real network namespaces (prefix pt-), so
// the parsers are tested on what the real `ip`, `bridge` and `brctl` print.
// The values configured here (and the kernel's own sysfs) are the expected
// values; podpath's output is never used as the reference.
import { execFileSync } from 'node:child_process';

export interface Fixture {
  node: string;
  pod: string;
  /** Run a command inside the node's / pod's namespace and return stdout. */
  inNode(args: string[]): string;
  inPod(args: string[]): string;
  /** sysfs value of an interface (ifindex, iflink, address, mtu) inside a namespace. */
  sys(ns: string, iface: string, attr: string): string;
  destroy(): void;
}

export const CONFIG = {
  underlay: { name: 'eth0', address: '10.74.107.63', prefix: 24 },
  bridge: { name: 'cni0', address: '192.168.1.1', prefix: 24 },
  vxlan: { name: 'flannel.1', vni: 1, port: 8472, address: '192.168.1.0' },
  veth: { host: 'vethpt6b3c', mtu: 1450 },
  pod: { address: '192.168.1.7', prefix: 24, gateway: '192.168.1.1' },
  peer: { vtepAddress: '192.168.2.0', mac: 'a6:0d:d2:cd:65:14', underlay: '10.74.107.62', cidr: '192.168.2.0/24' },
  gateway: '10.74.107.154',
  blackhole: '10.99.0.0/16',
  multipath: { dst: '10.50.0.0/16', hops: [{ via: '10.74.107.1', weight: 1 }, { via: '10.74.107.2', weight: 2 }] },
  rule: { priority: 100, fwmark: '0x1', table: '100' },
  /** A second bridge port, so `brctl show` prints a continuation line. */
  secondPort: 'vethpt2',
  unreachable: '10.98.0.0/16',
  prohibit: '10.97.0.0/16',
  metricRoute: { dst: '10.96.5.0/24', via: '10.74.107.9', metric: 100 },
  tableRoute: { dst: '10.95.0.0/16', via: '10.74.107.8', table: '100' },
};

function run(args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createFixture(tag: string): Fixture {
  const node = `pt-${tag}-${process.pid}-n`;
  const pod = `pt-${tag}-${process.pid}-p`;
  const c = CONFIG;
  const destroy = () => {
    for (const ns of [node, pod]) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  };
  destroy();
  try {
    const n = (...a: string[]) => run(['ip', '-n', node, ...a]);
    run(['ip', 'netns', 'add', node]);
    run(['ip', 'netns', 'add', pod]);
    n('link', 'set', 'lo', 'up');
    n('link', 'add', c.bridge.name, 'type', 'bridge');
    n('link', 'add', c.veth.host, 'mtu', String(c.veth.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(c.veth.mtu), 'netns', pod);
    n('link', 'set', c.veth.host, 'master', c.bridge.name);
    // No dummy module in every kernel: a veth pair stands in for the NIC.
    n('link', 'add', c.underlay.name, 'type', 'veth', 'peer', 'name', 'ptpeer0');
    n('addr', 'add', `${c.underlay.address}/${c.underlay.prefix}`, 'dev', c.underlay.name);
    n('link', 'add', c.vxlan.name, 'type', 'vxlan', 'id', String(c.vxlan.vni), 'local', c.underlay.address, 'dev', c.underlay.name, 'dstport', String(c.vxlan.port), 'nolearning');
    n('addr', 'add', `${c.vxlan.address}/32`, 'dev', c.vxlan.name);
    n('addr', 'add', `${c.bridge.address}/${c.bridge.prefix}`, 'dev', c.bridge.name);
    for (const dev of [c.underlay.name, 'ptpeer0', c.bridge.name, c.veth.host, c.vxlan.name]) n('link', 'set', dev, 'up');
    run(['ip', '-n', pod, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', pod, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', pod, 'addr', 'add', `${c.pod.address}/${c.pod.prefix}`, 'dev', 'eth0']);
    run(['ip', '-n', pod, 'route', 'add', 'default', 'via', c.pod.gateway]);
    n('route', 'add', 'default', 'via', c.gateway, 'dev', c.underlay.name, 'proto', 'static');
    n('route', 'add', c.peer.cidr, 'via', c.peer.vtepAddress, 'dev', c.vxlan.name, 'onlink');
    n('route', 'add', 'blackhole', c.blackhole);
    n('route', 'add', c.multipath.dst, ...c.multipath.hops.flatMap((h) => ['nexthop', 'via', h.via, 'weight', String(h.weight)]));
    n('neigh', 'add', c.peer.vtepAddress, 'lladdr', c.peer.mac, 'dev', c.vxlan.name, 'nud', 'permanent');
    run(['bridge', '-n', node, 'fdb', 'append', c.peer.mac, 'dev', c.vxlan.name, 'dst', c.peer.underlay, 'self', 'permanent']);
    n('link', 'add', c.secondPort, 'type', 'veth', 'peer', 'name', `${c.secondPort}p`);
    n('link', 'set', c.secondPort, 'master', c.bridge.name);
    n('route', 'add', 'unreachable', c.unreachable);
    n('route', 'add', 'prohibit', c.prohibit);
    n('route', 'add', c.metricRoute.dst, 'via', c.metricRoute.via, 'metric', String(c.metricRoute.metric));
    n('route', 'add', c.tableRoute.dst, 'via', c.tableRoute.via, 'table', c.tableRoute.table);
    n('rule', 'add', 'fwmark', c.rule.fwmark, 'lookup', c.rule.table, 'priority', String(c.rule.priority));
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    node,
    pod,
    inNode: (args) => run(['ip', 'netns', 'exec', node, ...args]),
    inPod: (args) => run(['ip', 'netns', 'exec', pod, ...args]),
    sys: (ns, iface, attr) => run(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${iface}/${attr}`]).trim(),
    destroy,
  };
}

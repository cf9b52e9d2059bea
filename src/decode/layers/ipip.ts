// IP-in-IP (protocol 4: Calico's tunl0, RFC 2003) and IPv6-in-IPv4 (protocol 41,
// 6in4/sit). There is no tunnel header: this zero-length marker says "the next IP
// header is the inner packet", so the tunnel shows in the layer list like VXLAN does.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { IpipLayer } from '../types.ts';
import { base, baseJson, type LayerCodec } from './codec.ts';

export const ipip: LayerCodec<IpipLayer> = {
  kind: Kind.IPIP,
  type: 'ipip',
  isTunnel: true,
  summaryRole: 'tunnel',
  summaryAt(d, index, out): void {
    out.ascii(d.expected[index] === Kind.IPV6 ? '6in4' : 'IPIP');
  },
  scan(d: Dissection, offset: number, end: number): void {
    const inner = d.nextValue === 41 ? Kind.IPV6 : Kind.IPV4;
    const i = d.push(Kind.IPIP, offset, 0, end);
    d.expected[i] = inner;
    d.next(NextBy.KIND, inner);
  },
  describe(d: Dissection, index: number): IpipLayer {
    return { type: 'ipip', ...base(d, index), inner: d.expected[index] === Kind.IPV6 ? 'ipv6' : 'ipv4' };
  },
  json(l: IpipLayer): string {
    return `{"type":"ipip",${baseJson(l)},"inner":"${l.inner}"}`;
  },
  detail(layer: IpipLayer) {
    return { title: `IP tunnel (${layer.inner === 'ipv6' ? 'IPv6 in IP, protocol 41' : 'IP in IP, protocol 4'})`, lines: [] };
  },
};

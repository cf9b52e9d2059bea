// The display filters checked against tshark, and the captures they run on: the public
// corpus and the lab's kernel recordings. tshark's answers are recorded in tshark.json by
// record.ts (with tshark's version and command lines), so the test runs without tshark.
export const CAPTURES = [
  'test/corpus/vxlan/tcpdump_vxlan.pcap',
  'test/corpus/vxlan/tcpdump_vxlan_port_8472.pcap',
  'test/corpus/vxlan/zeek_vxlan-encapsulated-http.pcap',
  'test/corpus/vxlan/suricata_vxlan-aws-traffic-mirror.pcap',
  'test/corpus/geneve/tcpdump_geneve.pcap',
  'test/corpus/ipip-gre/zeek_gre-sample.pcap',
  'test/corpus/linux-sll/pcapplusplus_sll.pcap',
  'test/corpus/linux-sll/zeek_linux_dlt_sll2.pcap',
  'samples/seed-flannel/captures/worker-2__eth0.pcap',
  'samples/seed-flannel/captures/worker-2__any.pcap',
  'samples/seed-calico/captures/worker-1__eth0.pcap',
  'samples/fault-no-route/captures/worker-1__cni0.pcap',
];

export const FILTERS = [
  'ip.addr == 192.168.203.5 && icmp',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.syn == 1 and tcp.flags.ack == 1',
  'vxlan',
  'vxlan.vni == 100',
  'vxlan.vni == 1 || vxlan.vni == 4096',
  'geneve',
  'geneve.vni == 11',
  'gre',
  '!arp',
  'arp',
  'udp.port == 4789 || udp.port == 8472',
  'tcp.port in {80, 443}',
  'tcp.dstport == 80',
  'ip.src == 10.0.0.0/8',
  'ip.addr == 192.168.2.0/24',
  'ip.addr != 192.168.1.7',
  '(tcp && !(tcp.flags.ack == 1)) || icmp',
  'tcp or udp and not icmp',
  'frame.len > 100 and ip.ttl < 64',
  'eth.type == 0x0806',
  'tcp.len > 0',
  'http.request.method == "GET"',
  'ipv6',
  'icmpv6.type == 128',
  'ip.flags.df == 1',
  'icmp.type == 3',
  'ip.proto == 17 && !vxlan',
  'frame.number >= 3 && frame.number <= 5',
  'eth.addr == ff:ff:ff:ff:ff:ff',
  // Outer and inner layers, `!` against `!=`, `||` across layers (the filter reads the dissection: each must agree).
  '!(ip.addr == 192.168.1.7)',
  'ipv6.addr == fe80::/10',
  'eth.src == 00:16:3e:08:71:cf',
  'udp && tcp',
  'ip.src == 10.0.0.0/8 && ip.dst == 192.168.0.0/16',
  'http.host == "eu.httpbin.org" || http.request.method != "GET"',
  'arp.src.proto_ipv4 == 192.168.0.0/16 || arp.dst.proto_ipv4 == 10.0.0.0/8',
  'tcp.flags == 0x012',
  'vxlan.vni in {1, 100} || !udp',
];

/**
 * Whether a filter is checked on a capture. Not HTTP fields on a `tcpdump -i any` capture: the
 * same TCP segment is seen once per interface it crosses, tshark's TCP analysis calls the
 * later copies retransmissions and does not hand them to the HTTP dissector, so tshark's
 * answer there is about its reassembly, not about the filter.
 */
export const checked = (capture: string, filter: string): boolean => !(capture.endsWith('__any.pcap') && filter.startsWith('http'));

/** The UDP ports tshark must be told are VXLAN (podpath decodes 8472 and 4789 without being told). */
export const TSHARK_DECODE_AS = ['-d', 'udp.port==8472,vxlan'];

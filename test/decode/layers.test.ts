// Layer modules on known bytes, gopacket style: a hexdump, the bytes, the expected
// layer list and field values. The VXLAN frame is frame 1 of the corpus's
// tcpdump_vxlan.pcap; the expected values are what `tshark -V` shows for it. The
// edge cases are that frame edited by hand, with the RFC that says what must happen.
import { describe, expect, it } from 'vitest';
import { decodePacket, type CapturedPacket, type Layer } from '../../src/decode/index.ts';

function hex(text: string): Uint8Array {
  const bytes = text
    .split('\n')
    .map((line) => line.replace(/^\s*[0-9a-f]{4}\s+/, '').slice(0, 47))
    .join(' ')
    .split(/\s+/)
    .filter((b) => /^[0-9a-f]{2}$/.test(b));
  return Uint8Array.from(bytes, (b) => parseInt(b, 16));
}

function packet(data: Uint8Array, linkType = 1): CapturedPacket {
  return { frame: 1, timeSec: 0, timeNsec: 0, caplen: data.length, len: data.length, linkType, fileOffset: 0, data };
}

function types(layers: Layer[]): string[] {
  return layers.map((l) => l.type);
}

// tcpdump_vxlan.pcap frame 1 (tshark -x), 148 bytes: VXLAN VNI 100, inner ICMP echo request.
const VXLAN_FRAME = hex(`
0000  00 16 3e 08 71 cf 36 dc 85 1e b3 40 08 00 45 00
0010  00 86 d2 c0 40 00 40 11 51 52 c0 a8 cb 01 c0 a8
0020  ca 01 b0 5d 12 b5 00 72 00 00 08 00 00 00 00 00
0030  64 00 00 30 88 01 00 02 00 16 3e 37 f6 04 08 00
0040  45 00 00 54 00 00 40 00 40 01 23 4f c0 a8 cb 03
0050  c0 a8 cb 05 08 00 f6 f2 05 0c 00 01 fc e2 97 51
0060  00 00 00 00 a6 f8 02 00 00 00 00 00 10 11 12 13
0070  14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23
0080  24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33
0090  34 35 36 37
`);

describe('layer decoding on a real VXLAN frame', () => {
  const layers = decodePacket(packet(VXLAN_FRAME)).layers;

  it('has the layers tshark shows, outer first', () => {
    expect(VXLAN_FRAME.length).toBe(148);
    expect(types(layers)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload']);
  });

  it('has tshark’s field values and byte offsets', () => {
    expect(layers[0]).toMatchObject({ offset: 0, length: 14, src: '36:dc:85:1e:b3:40', dst: '00:16:3e:08:71:cf', ethertype: 0x0800 });
    expect(layers[1]).toMatchObject({ offset: 14, length: 20, src: '192.168.203.1', dst: '192.168.202.1', proto: 17, ttl: 64, id: 0xd2c0, checksum: 0x5152, dontFragment: true, fragment: false });
    expect(layers[2]).toMatchObject({ offset: 34, length: 8, sport: 45149, dport: 4789, checksum: 0 });
    expect(layers[3]).toMatchObject({ offset: 42, length: 8, vni: 100, flags: 0x08 });
    expect(layers[4]).toMatchObject({ offset: 50, src: '00:16:3e:37:f6:04', dst: '00:30:88:01:00:02' });
    expect(layers[5]).toMatchObject({ offset: 64, src: '192.168.203.3', dst: '192.168.203.5', proto: 1, checksum: 0x234f });
    expect(layers[6]).toMatchObject({ offset: 84, icmpType: 8, code: 0, id: 0x050c, seq: 1 });
  });

  it('decodes the same bytes on port 8472 and on a --vxlan-port, not on another port', () => {
    const moved = VXLAN_FRAME.slice();
    moved[36] = 0x21; // dport 4789 (0x12b5) → 8472 (0x2118)
    moved[37] = 0x18;
    expect(types(decodePacket(packet(moved)).layers)).toContain('vxlan');
    moved[36] = 0xe5; // dport 58678 (0xe536)
    moved[37] = 0x36;
    expect(types(decodePacket(packet(moved)).layers)).not.toContain('vxlan');
    expect(types(decodePacket(packet(moved), { vxlanPorts: [58678] }).layers)).toContain('vxlan');
  });
});

describe('edge cases', () => {
  it('RFC 791: a non-first IPv4 fragment carries no L4 header; its payload is a named fragment', () => {
    const frag = VXLAN_FRAME.slice();
    frag[0x46] = 0x00; // inner IPv4 flags/offset: offset 185 × 8 = 1480
    frag[0x47] = 0xb9;
    const layers = decodePacket(packet(frag)).layers;
    expect(types(layers)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'payload']);
    expect(layers[5]).toMatchObject({ fragment: true, fragmentOffset: 1480, moreFragments: false });
    expect(layers[6]).toMatchObject({ protocol: 'ipv4-fragment', offset: 84, length: 64 });
  });

  it('a first fragment (MF set, offset 0) still shows its L4 header', () => {
    const frag = VXLAN_FRAME.slice();
    frag[0x46] = 0x20; // MF
    frag[0x47] = 0x00;
    const layers = decodePacket(packet(frag)).layers;
    expect(types(layers)).toContain('icmp');
    expect(layers[5]).toMatchObject({ fragment: true, moreFragments: true, fragmentOffset: 0 });
  });

  it('a frame cut inside the inner IPv4 header: malformed layer, the layers before it kept', () => {
    const layers = decodePacket(packet(VXLAN_FRAME.subarray(0, 64 + 12))).layers;
    expect(types(layers)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'malformed']);
    expect(layers[5]).toMatchObject({ protocol: 'ipv4', offset: 64, reason: 'IPv4 header needs 20 bytes, 12 present' });
  });

  it('RFC 8200: IPv6 extension headers are walked to the upper-layer protocol', () => {
    // IPv6 (next header 0, hop-by-hop, 8 bytes) → UDP 5353 → 1 byte of data.
    const ipv6 = hex(`
0000  60 00 00 00 00 11 00 40 fe 80 00 00 00 00 00 00
0010  00 00 00 00 00 00 00 01 ff 02 00 00 00 00 00 00
0020  00 00 00 00 00 00 00 fb 11 00 05 02 00 00 00 00
0030  14 e9 14 e9 00 09 00 00 61`);
    const layers = decodePacket(packet(ipv6, 101)).layers;
    expect(types(layers)).toEqual(['ipv6', 'udp', 'payload']);
    expect(layers[0]).toMatchObject({ src: 'fe80::1', dst: 'ff02::fb', nextHeader: 0, proto: 17, extensions: [0], length: 48, ttl: 64 });
    expect(layers[1]).toMatchObject({ sport: 5353, dport: 5353, offset: 48 });
    expect(layers[2]).toMatchObject({ protocol: 'mdns', length: 1 });
  });

  it('an unknown link type gives a named payload layer', () => {
    expect(decodePacket(packet(VXLAN_FRAME, 147)).layers).toEqual([{ type: 'payload', offset: 0, length: 148, protocol: 'link-type-147' }]);
  });
});

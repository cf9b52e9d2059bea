// podpath decode end to end: the summary line, -V sections, --json, filters,
// --summary, --dumps and terminal safety. Expected values come from tshark (run here,
// or its output recorded in the corpus's CHECKS.txt) and the corpus's SOURCES.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oracle } from '../helpers/oracle.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { corpusDir } from '../helpers/shared.ts';

const corpus = `${corpusDir}`;
const scratch = mkdtempSync(join(tmpdir(), 'podpath-decode-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tshark(args: string[]): string {
  return oracle('tshark', ['-n', ...args]);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('podpath decode: one summary line per packet, tunnel marked', () => {
  it('shows the VXLAN tunnel, then the inner TCP handshake and HTTP request (zeek VXLAN HTTP capture)', async () => {
    const result = await runPodpath(['decode', join(corpus, 'vxlan/zeek_vxlan-encapsulated-http.pcap')]);
    expect(result.status).toBe(0);
    const out = lines(result.stdout);
    expect(out).toHaveLength(12); // capinfos: 12 packets
    // SOURCES.md: VNI 1, outer 10.1.200.131 → 10.1.1.172; CHECKS.txt (tshark): inner 172.16.11.201 → 54.86.237.188 40354 → 80 [SYN]
    expect(out[0]).toMatch(/^\s+1\s+0\.000000 VXLAN 1 10\.1\.200\.131 → 10\.1\.1\.172 \| 172\.16\.11\.201 → 54\.86\.237\.188 TCP 40354 → 80 \[SYN\]/);
    expect(out[1]).toMatch(/\| 54\.86\.237\.188 → 172\.16\.11\.201 TCP 80 → 40354 \[SYN, ACK\]/);
    expect(out[3]).toMatch(/\| 172\.16\.11\.201 → 54\.86\.237\.188 HTTP GET \/image\/svg HTTP\/1\.1/);
  });

  it('decodes VXLAN on 8472 without being told (tshark needs -d udp.port==8472,vxlan)', async () => {
    const file = join(corpus, 'vxlan/tcpdump_vxlan_port_8472.pcap');
    const result = await runPodpath(['decode', file, '-c', '1']);
    const vni = tshark(['-r', file, '-c', '1', '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'vxlan.vni']).trim();
    expect(vni).toBe('100');
    expect(lines(result.stdout)).toHaveLength(1);
    expect(result.stdout).toMatch(/VXLAN 100 192\.168\.203\.1 → 192\.168\.202\.1 \| 192\.168\.203\.3 → 192\.168\.203\.5 ICMP Echo \(ping\) request id=0x050c, seq=1/);
  });

  it('--vxlan-port decodes a custom port (DeepFlow capture on 58678)', async () => {
    const file = join(corpus, 'vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap');
    const without = await runPodpath(['decode', file]);
    expect(without.stdout).toMatch(/UDP 58678 → 58678/);
    const withPort = await runPodpath(['decode', file, '--vxlan-port', '58678']);
    // CHECKS.txt (tshark -d udp.port==58678,vxlan): 10.244.0.34 → 10.244.1.73 HTTP GET / HTTP/1.1
    expect(withPort.stdout).toMatch(/VXLAN 1 10\.50\.15\.7 → 10\.50\.15\.20 \| 10\.244\.0\.34 → 10\.244\.1\.73 HTTP GET \/ HTTP\/1\.1/);
  });

  it('--dumps takes VXLAN ports from a bundle’s ip -d link (dstport)', async () => {
    const node = join(scratch, 'bundle', 'node-a');
    mkdirSync(node, { recursive: true });
    const seed = join(repoRoot, 'samples/seed-flannel/worker-1');
    writeFileSync(join(node, 'ip-d-link.txt'), readFileSync(join(seed, 'ip-d-link.txt'), 'utf8').replace('dstport 8472', 'dstport 58678'));
    writeFileSync(join(node, 'ip-addr.txt'), readFileSync(join(seed, 'ip-addr.txt')));
    writeFileSync(join(node, 'ip-route.txt'), readFileSync(join(seed, 'ip-route.txt')));
    const result = await runPodpath(['decode', '--dumps', join(scratch, 'bundle'), join(corpus, 'vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/VXLAN 1 10\.50\.15\.7 → 10\.50\.15\.20 \| 10\.244\.0\.34 → 10\.244\.1\.73 HTTP GET/);
  });

  it('IP-in-IP and Geneve are marked as tunnels too', async () => {
    const ipip = await runPodpath(['decode', join(corpus, 'ipip-gre/zeek_4in4.pcap')]);
    // SOURCES.md: outer 1.2.3.4 → 5.6.7.8
    expect(ipip.stdout).toMatch(/IPIP 1\.2\.3\.4 → 5\.6\.7\.8 \| /);
    const geneve = await runPodpath(['decode', join(corpus, 'geneve/tcpdump_geneve-gcp.pcap')]);
    expect(geneve.stdout).toMatch(/Geneve 0 192\.168\.100\.254 → 192\.168\.100\.3 \| 192\.168\.100\.2 → 192\.168\.100\.1 TCP 2905 → 8080/);
  });
});

describe('podpath decode -V: layered detail named as Wireshark names it', () => {
  for (const [file, extra] of [
    ['vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap', ['-d', 'udp.port==58678,vxlan']],
    // The first 4 packets: handshake and GET (tshark -V also titles HTTP body segments "Hypertext Transfer Protocol").
    ['vxlan/zeek_vxlan-encapsulated-http.pcap', ['-c', '4']],
    ['linux-sll/zeek_linuxsll-arp.pcap', []],
  ] as const) {
    it(`${file}: the same top-level sections as tshark -V, in order`, async () => {
      const path = join(corpus, file);
      const given: readonly string[] = extra;
      const ports = given.includes('-d') ? ['--vxlan-port', '58678'] : given.includes('-c') ? ['-c', '4'] : [];
      const ours = await runPodpath(['decode', '-V', path, ...ports]);
      expect(ours.status).toBe(0);
      const known = /^(Frame|Ethernet II|802\.1Q Virtual LAN|Address Resolution Protocol|Internet Protocol Version [46]|User Datagram Protocol|Transmission Control Protocol|Virtual eXtensible Local Area Network|Hypertext Transfer Protocol|Linux cooked capture v[12]|Internet Control Message Protocol)/;
      const names = (text: string): string[] =>
        lines(text)
          .filter((l) => !l.startsWith(' '))
          .map((l) => known.exec(l)?.[1])
          .filter((n): n is string => n !== undefined);
      const theirs = tshark(['-r', path, '-V', '-o', 'tcp.desegment_tcp_streams:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-d', 'udp.port==8472,vxlan', ...extra]);
      expect(names(ours.stdout)).toEqual(names(theirs));
      expect(names(ours.stdout).length).toBeGreaterThan(5);
    });
  }

  it('-x adds the bytes as tshark -x does', async () => {
    const path = join(corpus, 'vxlan/tcpdump_vxlan.pcap');
    const ours = await runPodpath(['decode', '-V', '-x', '-c', '1', path]);
    const theirs = tshark(['-r', path, '-x', '-c', '1']);
    const hex = (text: string): string[] => lines(text).filter((l) => /^[0-9a-f]{4}  /.test(l)).map((l) => l.slice(0, 54).trimEnd());
    expect(hex(ours.stdout)).toEqual(hex(theirs));
    expect(hex(ours.stdout)).toHaveLength(10); // 148 bytes
  });
});

describe('podpath decode --json', () => {
  it('one object per packet with the documented field names; values agree with tshark', async () => {
    const path = join(corpus, 'vxlan/zeek_vxlan-encapsulated-http.pcap');
    const result = await runPodpath(['decode', '--json', path]);
    const packets = lines(result.stdout).map((l) => JSON.parse(l) as { frame: number; time: string; caplen: number; len: number; layers: Record<string, unknown>[] });
    expect(packets).toHaveLength(12);
    const fields = tshark(['-r', path, '-c', '1', '-T', 'fields', '-E', 'occurrence=a', '-o', 'tcp.relative_sequence_numbers:FALSE', '-e', 'frame.time_epoch', '-e', 'eth.src', '-e', 'ip.src', '-e', 'ip.ttl', '-e', 'udp.dstport', '-e', 'vxlan.vni', '-e', 'tcp.seq', '-e', 'tcp.ack']).trim().split('\t');
    const first = packets[0] as (typeof packets)[number];
    expect(Object.keys(first)).toEqual(['schemaVersion', 'frame', 'time', 'caplen', 'len', 'linkType', 'layers']);
    expect(first.time).toBe(fields[0]);
    expect(first.layers.map((l) => l['type'])).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'tcp']);
    const [eth, ip, udp, vxlan, , innerIp, tcp] = first.layers as Record<string, unknown>[];
    expect([eth?.['src'], (eth as Record<string, unknown>)['dst'] !== undefined, eth?.['ethertype']]).toEqual([fields[1]?.split(',')[0], true, 0x0800]);
    expect([ip?.['src'], ip?.['proto'], ip?.['ttl']]).toEqual([fields[2]?.split(',')[0], 17, Number(fields[3]?.split(',')[0])]);
    expect([udp?.['sport'], udp?.['dport']]).toEqual([50000, Number(fields[4])]);
    expect(vxlan?.['vni']).toBe(Number(fields[5]));
    expect(innerIp?.['src']).toBe(fields[2]?.split(',')[1]);
    expect(tcp?.['flags']).toEqual({ syn: true, ack: false, fin: false, rst: false, psh: false, urg: false, ece: false, cwr: false });
    expect([tcp?.['seq'], tcp?.['ack']]).toEqual([Number(fields[6]), Number(fields[7])]);
  });

  it('an ICMP error carries the quoted IP header and ports after the icmp layer (own capture: UDP to a closed port in VXLAN)', async () => {
    const path = join(repoRoot, 'test/decode/captures/vxlan-8472.pcap');
    const result = await runPodpath(['decode', '--json', path]);
    const packets = lines(result.stdout).map((l) => JSON.parse(l) as { layers: { type: string; quoted?: boolean; src?: string; dport?: number; icmpType?: number }[] });
    const error = packets.find((p) => p.layers.some((l) => l.type === 'icmp' && l.icmpType === 3));
    expect(error?.layers.map((l) => `${l.type}${l.quoted ? '(quoted)' : ''}`)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'ipv4(quoted)', 'udp(quoted)', 'payload(quoted)']);
    // make-captures.sh sends the probe from 192.168.42.1 to UDP port 9999.
    expect(error?.layers[7]?.src).toBe('192.168.42.1');
    expect(error?.layers[8]?.dport).toBe(9999);
  });
});

describe('podpath decode filters and counts', () => {
  async function count(args: string[]): Promise<number> {
    const result = await runPodpath(['decode', ...args]);
    expect(result.status).toBe(0);
    return lines(result.stdout).length;
  }

  it('--vni, --host, --port and -c select the packets tshark selects', async () => {
    const geneve = join(corpus, 'geneve/tcpdump_geneve.pcap');
    const tsharkCount = (path: string, filter: string, extra: string[] = []): number => lines(tshark(['-r', path, '-Y', filter, ...extra])).length;
    expect(await count([geneve, '--vni', '11'])).toBe(tsharkCount(geneve, 'geneve.vni == 11'));
    const vxlan = join(corpus, 'vxlan/tcpdump_vxlan.pcap');
    expect(await count([vxlan, '--host', '192.168.203.3'])).toBe(tsharkCount(vxlan, 'ip.addr == 192.168.203.3 || arp.src.proto_ipv4 == 192.168.203.3 || arp.dst.proto_ipv4 == 192.168.203.3'));
    const mirror = join(corpus, 'vxlan/suricata_vxlan-aws-traffic-mirror.pcap');
    expect(await count([mirror, '--port', '22'])).toBe(tsharkCount(mirror, 'tcp.port == 22 || udp.port == 22'));
    expect(await count([mirror, '--port', '22', '-c', '3'])).toBe(3);
  });

  it('--summary counts packets and VNIs as tshark does', async () => {
    const mirror = join(corpus, 'vxlan/suricata_vxlan-aws-traffic-mirror.pcap');
    const result = await runPodpath(['decode', '--summary', '--json', mirror]);
    const summary = JSON.parse(result.stdout) as { packets: number; tunnels: Record<string, number>; tcp: { syn: number } };
    const vnis = lines(tshark(['-r', mirror, '-T', 'fields', '-e', 'vxlan.vni']));
    expect(summary.packets).toBe(vnis.length);
    expect(summary.tunnels).toEqual({ [`vxlan vni ${vnis[0]}`]: vnis.filter((v) => v === vnis[0]).length });
    expect(summary.tcp.syn).toBe(lines(tshark(['-r', mirror, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0'])).length);
  });

  it('rejects a bad -c or --vni with a usage error (exit 2)', async () => {
    const result = await runPodpath(['decode', '-c', 'many', join(corpus, 'vxlan/tcpdump_vxlan.pcap')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/-c wants a whole number/);
    const vni = await runPodpath(['decode', '--vni', '99999999', join(corpus, 'vxlan/tcpdump_vxlan.pcap')]);
    expect(vni.status).toBe(2);
  });
});

describe('podpath decode keeps capture bytes from acting on the terminal', () => {
  // The DeepFlow HTTP request with its Host value (11 bytes, "10.244.1.73") replaced by
  // an escape sequence of the same length: ESC [ 3 1 m P W N D ! !
  const original = readFileSync(join(corpus, 'vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap'));
  const hostAt = original.indexOf('Host: 10.244.1.73') + 'Host: '.length;
  const hostile = Buffer.from(original);
  Buffer.from('\u001b[31mPWND!!', 'latin1').copy(hostile, hostAt);
  const path = join(scratch, 'hostile.pcap');
  writeFileSync(path, hostile);

  it('summary lines and -V show the ESC escaped', async () => {
    for (const args of [[path], ['-V', path]]) {
      const result = await runPodpath(['decode', '--vxlan-port', '58678', ...args]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Host: \\e[31mPWND!!');
      expect(result.stdout).not.toContain('\u001b');
    }
  });

  it('--json escapes it as \\u001b and stays valid JSON', async () => {
    const result = await runPodpath(['decode', '--json', '--vxlan-port', '58678', path]);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('\\u001b[31mPWND!!');
    const packet = JSON.parse(result.stdout) as { layers: { type: string; host?: string }[] };
    expect(packet.layers.find((l) => l.type === 'http')?.host).toBe('\u001b[31mPWND!!');
  });
});

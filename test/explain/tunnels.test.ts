// Tunnels other than Flannel's and Calico's VXLAN, from real captures: IP-in-IP (Calico's tunl0
// mode) and Geneve. The outer addresses and VNIs come from tshark (first value of each field is
// the outer header's).
import { describe, expect, it } from 'vitest';
import { explainFiles } from '../../src/explain/index.ts';
import { tsharkFields } from './tshark.ts';
import { corpusDir } from '../helpers/shared.ts';

const CORPUS = `${corpusDir}`;

function outerPairs(rows: string[][]): Set<string> {
  return new Set(rows.map((r) => [r[0]!.split(',')[0], r[1]!.split(',')[0]].sort().join(' ')));
}

describe('tunnels', () => {
  it('IP-in-IP (protocol 4): one tunnel per pair of outer addresses', async () => {
    const file = `${CORPUS}/ipip-gre/deepflow_ipip.pcap`;
    const rows = tsharkFields(file, ['ip.src', 'ip.dst'], ['-Y', 'ip.proto==4']);
    const e = await explainFiles([file]);
    const ipip = e.tunnels.filter((t) => t.encapsulation === 'ipip');
    expect(new Set(ipip.map((t) => [t.from.ip, t.to.ip].sort().join(' ')))).toEqual(outerPairs(rows));
    expect(ipip.every((t) => /IP-in-IP/.test(t.text))).toBe(true);
  });

  it('Geneve: the VNIs and port tshark reads', async () => {
    const file = `${CORPUS}/geneve/tcpdump_geneve.pcap`;
    const rows = tsharkFields(file, ['ip.src', 'ip.dst', 'geneve.vni', 'udp.dstport'], ['-Y', 'geneve']);
    const e = await explainFiles([file]);
    const geneve = e.tunnels.filter((t) => t.encapsulation === 'geneve');
    expect(new Set(geneve.map((t) => t.vni))).toEqual(new Set(rows.map((r) => Number(r[2]!.split(',')[0]))));
    expect(new Set(geneve.map((t) => t.port))).toEqual(new Set(rows.map((r) => Number(r[3]!.split(',')[0]))));
    expect(new Set(geneve.map((t) => [t.from.ip, t.to.ip].sort().join(' ')))).toEqual(outerPairs(rows));
  });
});

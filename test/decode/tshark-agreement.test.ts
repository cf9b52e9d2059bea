// podpath decode agrees with tshark, field by field, per packet, on every real
// capture in the shared corpus and every lab capture under samples/. tshark runs once
// per file with all fields (see tshark-oracle.ts). Where tshark is wrong (BIG TCP),
// the difference is asserted as documented, and the part tshark cannot decode is
// checked by cutting the outer headers off with editcap and asking tshark again.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket, readCapture, type Layer } from '../../src/decode/index.ts';
import { oracle } from '../helpers/oracle.ts';
import { repoRoot } from '../helpers/run.ts';
import { FIELDS, normaliseTshark, podpathRow, podpathRows, tsharkRows, tsharkRowsMany, type Row } from './tshark-oracle.ts';
import { corpusDir } from '../helpers/shared.ts';

const corpus = `${corpusDir}`;

function captures(root: string, inside: (path: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(pcap|pcapng)$/.test(name) && inside(path)) found.push(path);
    }
  };
  walk(root);
  return found.sort();
}

const files = [
  ...captures(corpus, () => true),
  // The lab's captures (samples/<case>/captures/*.pcap), whatever exists when the test runs.
  ...captures(join(repoRoot, 'samples'), (path) => path.split('/').slice(-2, -1)[0] === 'captures'),
  // The decoder's own captures, recorded in netns by make-captures.sh (cooked v1/v2, ns, pcapng).
  ...captures(join(repoRoot, 'test', 'decode', 'captures'), () => true),
];

/** The DeepFlow capture carries VXLAN on a custom port; both tools are told about it. */
function vxlanPortsFor(file: string): number[] {
  return file.includes('deepflow_ff-vxlan') ? [8472, 58678] : [8472];
}

/**
 * BIG TCP / GSO super-packets whose outer length fields are 0. tshark 4.0 stops at the
 * outer UDP ("BAD UDP LENGTH 0 < 8") or calls the outer IPv6 malformed (payload length 0
 * without a jumbo option), so it never reaches the tunnel. podpath takes the captured
 * bytes as the length, as the kernel meant, and decodes the tunnel.
 */
const BIG_TCP = new Set(['tcpdump_bigtcp-ipv4-vxlan-ipv4.pcap', 'tcpdump_bigtcp-ipv6-vxlan-ipv6.pcap', 'tcpdump_bigtcp-ipv4-geneve-ipv4.pcap']);

const scratch = mkdtempSync(join(tmpdir(), 'podpath-decode-agree-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function compareRows(expected: Row[], actual: Row[], label: string): void {
  expect(actual.length, `${label}: frame count`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    for (const field of FIELDS) {
      expect(actual[i]?.[field], `${label} frame ${i + 1} ${field}`).toBe(expected[i]?.[field]);
    }
  }
}

async function decodedLayers(file: string, vxlanPorts: number[]): Promise<Layer[][]> {
  const out: Layer[][] = [];
  for await (const packet of readCapture(file)) out.push(decodePacket(packet, { vxlanPorts }).layers);
  return out;
}

describe('podpath decode agrees with tshark on real captures', () => {
  // One tshark run per file, a few at a time; each file's output is recorded beside the others
  // in test/oracles/ and replayed where tshark is not installed.
  let tsharkByFile = new Map<string, Row[]>();
  beforeAll(async () => {
    const checked = files.filter((f) => !BIG_TCP.has(f.split('/').pop() as string));
    tsharkByFile = await tsharkRowsMany(checked.map((file) => ({ file, vxlanPorts: vxlanPortsFor(file) })));
  }, 300_000);

  it('finds the corpus captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  for (const file of files) {
    const name = file.startsWith(corpus) ? relative(corpus, file) : relative(repoRoot, file);
    const base = file.split('/').pop() as string;
    if (BIG_TCP.has(base)) continue;
    it(`${name}: every packet, every field`, async () => {
      const ports = vxlanPortsFor(file);
      const expected = (tsharkByFile.get(file) ?? []).map(normaliseTshark);
      expect(tsharkByFile.has(file), `tshark read ${name}`).toBe(true);
      const actual = await podpathRows(file, ports);
      compareRows(expected, actual, name);
    });
  }

  for (const base of BIG_TCP) {
    const file = files.find((f) => f.endsWith('/' + base));
    it(`${base}: tshark stops at the zero-length outer header (documented); the inner frame agrees with tshark once cut out`, async () => {
      expect(file, `${base} is in the corpus`).toBeDefined();
      const path = file as string;
      const [layers] = await decodedLayers(path, [8472]);
      const [tshark] = tsharkRows(path, [8472]).map(normaliseTshark);
      const ours = podpathRow(1, layers as Layer[], 0);
      // 1. tshark's fields are exactly the outer part of podpath's.
      expect(tshark?.['frame.protocols']).not.toMatch(/vxlan|geneve/);
      expect(ours['frame.protocols'].startsWith(tshark?.['frame.protocols'] as string)).toBe(true);
      for (const field of ['eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst'] as const) {
        const theirs = (tshark?.[field] ?? '').split(',').filter((v) => v !== '');
        expect(ours[field].split(',').slice(0, theirs.length), `${base} outer ${field}`).toEqual(theirs);
      }
      // 2. The inner frame, cut out with editcap, decoded by tshark.
      const tunnel = (layers as Layer[]).findIndex((l) => l.type === 'vxlan' || l.type === 'geneve');
      const innerEthernet = (layers as Layer[])[tunnel + 1];
      expect(innerEthernet?.type).toBe('ethernet');
      const cut = join(scratch, base);
      oracle('editcap', ['-C', String(innerEthernet?.offset), path, cut], { writes: cut });
      const [inner] = tsharkRows(cut, []).map(normaliseTshark);
      const innerLayers = (layers as Layer[]).slice(tunnel + 1).map((l) => ({ ...l }));
      const innerRow = podpathRow(1, innerLayers, 0);
      for (const field of ['eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.flags'] as const) {
        // tshark calls the inner IPv6 (payload length 0) malformed and gives no TCP fields there.
        if ((inner?.[field] ?? '') === '' && field.startsWith('tcp.') && base.includes('ipv6')) continue;
        expect(innerRow[field], `${base} inner ${field}`).toBe(inner?.[field]);
      }
      const vni = (layers as Layer[])[tunnel];
      expect(vni?.type === 'vxlan' || vni?.type === 'geneve' ? vni.vni : -1).toBe(5001);
    });
  }
});

// `podpath explain FILE` reads each packet's facts straight from the dissection (facts-scan.ts)
// instead of from Layer objects (facts.ts packetFacts, what callers holding decoded packets
// use). Both must say the same of every packet: checked here on every capture in samples/ and
// test/ (lab recordings, tcpdump and tshark captures of the corpus, pcapng, cooked captures,
// ICMP errors, VXLAN, Geneve, IP in IP, GRE, fragments, cut packets), packet by packet.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket, Dissection, portTable, scanCapture, timeText } from '../../src/decode/index.ts';
import { dissectPacket } from '../../src/decode/dissect.ts';
import { packetFacts, type PacketFacts } from '../../src/explain/facts.ts';
import { epochSeconds, FactsReader } from '../../src/explain/facts-scan.ts';
import { tupleKey } from '../../src/explain/flows.ts';
import { CaptureError } from '../../src/errors.ts';
import { repoRoot } from '../helpers/run.ts';
import { repositoryCaptures } from '../helpers/captures.ts';


/** The facts without the flow key facts-scan.ts adds (checked apart). */
function withoutKey(p: PacketFacts): PacketFacts {
  const { tupleKey: _key, ...rest } = p;
  return rest;
}

describe('facts read from the dissection', () => {
  it('equal the facts read from Layer objects, on every packet of every capture in samples/ and test/', async () => {
    const files = repositoryCaptures();
    expect(files.length).toBeGreaterThan(100);
    // The captures of the lab run VXLAN on 8472 (flannel) and 4789 (calico): both decoded, as the dumps would ask.
    const options = { vxlanPorts: [8472, 4789] };
    const table = portTable(options);
    const seen = { packets: 0, outer: 0, quoted: 0, arp: 0, cooked: 0, ifindex: 0, http: 0, ipv6: 0, fragment: 0, interfaceName: 0 };
    for (const file of files) {
      const d = new Dissection();
      const reader = new FactsReader();
      try {
        await scanCapture(file, { name: file }, (raw) => {
          dissectPacket(d, raw, table);
          const fast = reader.read(raw, d, 0);
          const reference = packetFacts(decodePacket(raw, options), 0);
          expect(withoutKey(fast), `${file} frame ${raw.frame}`).toEqual(reference);
          if (fast.tuple) expect(fast.tupleKey ?? tupleKey(fast.tuple)).toBe(tupleKey(fast.tuple));
          seen.packets++;
          if (fast.outer) seen.outer++;
          if (fast.icmp?.quoted) seen.quoted++;
          if (fast.arp) seen.arp++;
          if (fast.link?.outgoing !== undefined) seen.cooked++;
          if (fast.ifindex !== undefined) seen.ifindex++;
          if (fast.http) seen.http++;
          if (fast.ip?.version === 6) seen.ipv6++;
          if (fast.ip?.fragment) seen.fragment++;
          if (fast.interfaceName !== undefined) seen.interfaceName++;
          return true;
        });
      } catch (error) {
        // A capture damaged on purpose (test/corpus): the packets before the damage were compared.
        if (!(error instanceof CaptureError)) throw error;
      }
    }
    // Every kind of packet the fast path reads apart from the common one was met and compared
    // (malformed layers too, in test/fuzz/parsers.test.ts, on mutated captures).
    for (const [kind, n] of Object.entries(seen)) expect(n, kind).toBeGreaterThan(0);
  }, 120_000);

  it('share one 5-tuple and one link record among a connection’s packets', async () => {
    const d = new Dissection();
    const reader = new FactsReader();
    const table = portTable({});
    const facts: PacketFacts[] = [];
    await scanCapture(join(repoRoot, 'samples/seed-flannel/captures/pod1__eth0.pcap'), { name: 'pod1' }, (raw) => {
      dissectPacket(d, raw, table);
      facts.push(reader.read(raw, d, 0));
      return true;
    });
    const tcp = facts.filter((p) => p.tcp && p.tuple?.sport !== undefined);
    expect(tcp.length).toBeGreaterThan(2);
    const first = tcp[0]!;
    const same = tcp.filter((p) => p.tuple!.src === first.tuple!.src && p.tuple!.sport === first.tuple!.sport && p.tuple!.dst === first.tuple!.dst && p.tuple!.dport === first.tuple!.dport);
    expect(same.length).toBeGreaterThan(1);
    for (const p of same) {
      expect(p.tuple).toBe(first.tuple);
      expect(p.link).toBe(first.link);
    }
  });
});

describe('epochSeconds', () => {
  /** A small deterministic generator (mulberry32), so a failure names its inputs again. */
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('is the double nearest the decimal seconds, as JavaScript parses the text (ECMAScript: correctly rounded)', () => {
    const next = random(17);
    const cases: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, 999_999_999],
      [1, 0],
      [1, 500_000_000],
      [2 ** 31 - 1, 999_999_999],
      [2 ** 31, 1],
      [2 ** 32 - 1, 999_999_999],
      [1_764_633_600, 123_456_789],
      // A damaged record's fraction (the reader passes it on; the fuzz test found it).
      [939_524_096, 2_097_152_000],
      [1, 4_294_967_295],
    ];
    for (let k = 0; k < 31; k++) cases.push([2 ** k, 1], [2 ** k - 1, 999_999_999], [2 ** k, 0]);
    for (let i = 0; i < 100_000; i++) {
      // Seconds across every binade a capture's can be in, and real pcap (microsecond) and nanosecond fractions.
      const sec = Math.floor(2 ** (next() * 32));
      const nsec = i % 2 === 0 ? Math.floor(next() * 1e6) * 1000 : Math.floor(next() * 1e9);
      cases.push([sec, nsec]);
    }
    const wrong = cases.filter(([sec, nsec]) => epochSeconds(sec, nsec) !== Number(timeText(sec, nsec))).map(([sec, nsec]) => timeText(sec, nsec));
    expect(wrong).toEqual([]);
    expect(cases.length).toBeGreaterThan(100_000);
  });
});

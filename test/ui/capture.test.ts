// The capture pane's data: rows, layer trees, hex and the traced connection's marks,
// made by the real decoder from a real capture, checked against tshark. Streaming is
// checked on a large capture built in the test from one real record repeated.
import { describe, expect, it } from 'vitest';
import { oracle } from '../helpers/oracle.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as decoder from '../../src/decode/index.ts';
import { decodePacket, packetText, readCapture } from '../../src/decode/index.ts';
import type { Layer } from '../../src/decode/types.ts';
import { dissectionMatcher, flowMatcher, hexRows, type CaptureRow } from '../../src/ui/capture/rows.ts';
import { restScan } from '../../src/ui/capture/pane-stream.ts';
import { DEFAULT_LIMIT, streamCaptures, type RestScan } from '../../src/ui/capture/stream.ts';
import { captureStarter, workerCaptureStarter } from '../../src/ui/capture/start.ts';
import { emptyTopology } from '../../src/explain/index.ts';
import type { UiAction } from '../../src/ui/state.ts';
import { repositoryCaptures } from '../helpers/captures.ts';
import type { TraceResult } from '../../src/trace/model.ts';
import { corpusDir } from '../helpers/shared.ts';
import { appendAll } from '../../src/util/append.ts';

const HTTP_PCAP = `${corpusDir}/vxlan/zeek_vxlan-encapsulated-http.pcap`;

function tshark(file: string, fields: string[]): string[][] {
  const out = oracle('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]);
  return out.trimEnd().split('\n').map((l) => l.split('|'));
}

// A trace query (test fixture) for the inner connection of that capture.
const traceOf = (src: string, dst: string, dport: number): TraceResult => ({
  query: { from: src, to: `${dst}:${dport}`, packet: { src, dst, dport, proto: 'tcp' } },
  paths: [{ probability: 1, disposition: 'delivered', reason: 'fixture', hops: [{ at: 'x', interface: 'eth0', packet: { src, dst, dport, proto: 'tcp' }, steps: [] }] }],
  warnings: [],
});


/** The innermost (or quoted) IP header's addresses and the ports after it, as a trace's hop packet would name them. */
function tupleOf(layers: Layer[], quoted: boolean): { src: string; dst: string; sport?: number; dport?: number } | undefined {
  let tuple: { src: string; dst: string; sport?: number; dport?: number } | undefined;
  for (const l of layers) {
    if (Boolean(l.quoted) !== quoted) continue;
    if (l.type === 'ipv4' || l.type === 'ipv6') tuple = { src: l.src, dst: l.dst };
    else if ((l.type === 'tcp' || l.type === 'udp') && tuple) tuple = { ...tuple, sport: l.sport, dport: l.dport };
  }
  return tuple;
}

async function collect(files: string[], trace: TraceResult, limit?: number, rest?: RestScan) {
  const rows: CaptureRow[] = [];
  let total = 0;
  let marked = 0;
  let error: string | undefined = 'not done';
  await streamCaptures({
    files,
    read: readCapture,
    decode: (p) => decodePacket(p),
    text: (p) => packetText(p),
    matches: flowMatcher(trace),
    ...(limit === undefined ? {} : { limit }),
    ...(rest === undefined ? {} : { rest }),
    onBatch: (batch, t, m) => {
      appendAll(rows, batch);
      total = t;
      marked = m;
    },
    onDone: (e) => {
      error = e;
    },
  });
  return { rows, total, marked, error };
}

describe('capture pane data', () => {
  it('lists every packet with outer and inner layers as tshark sees them', async () => {
    const expected = tshark(HTTP_PCAP, ['frame.number', 'ip.src', 'ip.dst', 'vxlan.vni', 'http.request.method', 'http.request.uri']);
    const { rows, total, error } = await collect([HTTP_PCAP], traceOf('172.16.11.201', '54.86.237.188', 80));
    expect(error).toBeUndefined();
    expect(total).toBe(expected.length);
    expect(rows.map((r) => r.frame)).toEqual(expected.map((e) => Number(e[0])));
    for (const [i, [, srcs, dsts, vni, method, uri]] of expected.entries()) {
      const row = rows[i]!;
      const [outerSrc, innerSrc] = srcs!.split(',');
      const [outerDst, innerDst] = dsts!.split(',');
      const ipTitles = row.layers.filter((l) => l.title.startsWith('Internet Protocol'));
      expect(ipTitles.map((l) => [l.title, l.depth])).toEqual([
        [`Internet Protocol Version 4, Src: ${outerSrc}, Dst: ${outerDst}`, 0],
        [`Internet Protocol Version 4, Src: ${innerSrc}, Dst: ${innerDst}`, 1],
      ]);
      expect(row.summary.startsWith(`VXLAN ${vni} ${outerSrc} → ${outerDst} | ${innerSrc} → ${innerDst} `)).toBe(true);
      if (method) expect(row.summary).toContain(`HTTP ${method} ${uri}`);
    }
  });

  it('marks the packets of the traced connection in both directions, and only those', async () => {
    const expected = tshark(HTTP_PCAP, ['ip.src', 'ip.dst']);
    const inner = expected.map(([src, dst]) => [src!.split(',')[1], dst!.split(',')[1]]);
    const isConn = (pair: (string | undefined)[]) =>
      (pair[0] === '172.16.11.201' && pair[1] === '54.86.237.188') || (pair[0] === '54.86.237.188' && pair[1] === '172.16.11.201');
    const { rows, marked } = await collect([HTTP_PCAP], traceOf('172.16.11.201', '54.86.237.188', 80));
    expect(rows.map((r) => r.marked)).toEqual(inner.map(isConn));
    expect(marked).toBe(inner.filter(isConn).length);
    const other = await collect([HTTP_PCAP], traceOf('172.16.11.201', '54.86.237.188', 443));
    expect(other.marked).toBe(0);
  });

  it('reads several captures one after the other, naming the file of each packet', async () => {
    const second = `${corpusDir}/vxlan/tcpdump_vxlan_port_8472.pcap`;
    const counts = [HTTP_PCAP, second].map((f) => tshark(f, ['frame.number']).length);
    const { rows, total } = await collect([HTTP_PCAP, second], traceOf('1.1.1.1', '2.2.2.2', 1));
    expect(total).toBe(counts[0]! + counts[1]!);
    expect(rows[0]).toMatchObject({ source: 'zeek_vxlan-encapsulated-http.pcap', frame: 1 });
    expect(rows[counts[0]!]).toMatchObject({ source: 'tcpdump_vxlan_port_8472.pcap', frame: 1 });
    const one = await collect([second], traceOf('1.1.1.1', '2.2.2.2', 1));
    expect(one.rows[0]!.source).toBeUndefined();
  });

  it('shows the bytes as tshark -x does', async () => {
    const { rows } = await collect([HTTP_PCAP], traceOf('1.1.1.1', '2.2.2.2', 1));
    const tsharkHex = oracle('tshark', ['-r', HTTP_PCAP, '-c', '1', '-x'])
      .split('\n')
      .filter((l) => /^[0-9a-f]{4}  /.test(l))
      .map((l) => l.slice(6, 6 + 48).trim());
    const ours = hexRows(rows[0]!.bytes).map((h) => h.hex.trim().replace(/  +/g, ' '));
    expect(ours).toEqual(tsharkHex);
  });

  it('streams a large capture in batches, keeping only the first packets and the event loop free', async () => {
    // 40,000 copies of the capture's first record: a big file made from real bytes.
    const bytes = readFileSync(HTTP_PCAP);
    const header = bytes.subarray(0, 24);
    const inclLen = bytes.readUInt32LE(24 + 8);
    const record = bytes.subarray(24, 24 + 16 + inclLen);
    const dir = mkdtempSync(join(tmpdir(), 'pu-capture-'));
    const big = join(dir, 'big.pcap');
    const copies = 40_000;
    writeFileSync(big, Buffer.concat([header, ...Array<Buffer>(copies).fill(record)]));
    try {
      // Timer ticks that land between two batches prove the reader yields the event loop
      // (a loop that never yields would let no timer run until the file ends), whatever
      // the machine's speed or load.
      const events: string[] = [];
      const timer = setInterval(() => events.push('tick'), 1);
      const batches: number[] = [];
      let total = 0;
      await streamCaptures({
        files: [big],
        read: readCapture,
        decode: (p) => decodePacket(p),
        text: (p) => packetText(p),
        matches: flowMatcher(traceOf('172.16.11.201', '54.86.237.188', 80)),
        limit: 1000,
        onBatch: (rows, t) => {
          batches.push(rows.length);
          events.push('batch');
          total = t;
        },
        onDone: () => undefined,
      });
      clearInterval(timer);
      expect(total).toBe(copies);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(1000);
      // The kept rows and the counts come in batches, a few times a second, and once more at the end.
      expect(batches.length).toBeGreaterThan(1);
      const first = events.indexOf('batch');
      const last = events.lastIndexOf('batch');
      expect(events.slice(first, last).filter((e) => e === 'tick').length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the traced connection from the dissection as from Layer objects, on every packet of every capture in samples/ and test/', async () => {
    // Past its kept packets the pane matches on the decoder's scan path (dissectionMatcher);
    // both tests must say the same of every packet. The traces are each capture's own
    // connections (the first packets' tuples, with and without the source port, and the
    // tuples ICMP errors quote), so packets match as well as not.
    const files = repositoryCaptures();
    expect(files.length).toBeGreaterThan(100);
    const options = { vxlanPorts: [8472, 4789] };
    const table = decoder.portTable(options);
    const seen = { packets: 0, matched: 0, quoted: 0 };
    for (const file of files) {
      const packets: { layers: Layer[]; raw: Uint8Array; linkType: number; frame: number }[] = [];
      try {
        for await (const p of readCapture(file)) packets.push({ layers: decodePacket(p, options).layers, raw: p.data, linkType: p.linkType, frame: p.frame });
      } catch {
        // A damaged capture: the packets before the damage are compared.
      }
      const tuples = new Map<string, { src: string; dst: string; sport?: number; dport?: number }>();
      for (const p of packets) {
        for (const t of [tupleOf(p.layers, false), tupleOf(p.layers, true)]) {
          if (!t || tuples.size >= 12) continue;
          const { sport: _sport, ...withoutSport } = t;
          tuples.set(JSON.stringify(t), t);
          tuples.set(JSON.stringify(withoutSport), withoutSport);
        }
      }
      for (const t of tuples.values()) {
        const trace: TraceResult = { query: { from: t.src, to: t.dst, packet: { ...t, proto: 'tcp' } }, paths: [{ probability: 1, disposition: 'delivered', reason: 'fixture', hops: [{ at: 'x', interface: 'eth0', packet: { ...t, proto: 'tcp' }, steps: [] }] }], warnings: [] };
        const byLayers = flowMatcher(trace);
        const byDissection = dissectionMatcher(trace);
        const d = new decoder.Dissection();
        for (const p of packets) {
          decoder.dissectPacket(d, { frame: p.frame, data: p.raw, linkType: p.linkType, caplen: p.raw.length, len: p.raw.length, timeSec: 0, timeNsec: 0 } as decoder.CapturedPacket, table);
          const expected = byLayers(p.layers);
          expect(byDissection(d), `${file} frame ${p.frame} against ${JSON.stringify(t)}`).toBe(expected);
          seen.packets++;
          if (expected) seen.matched++;
          if (expected && !byLayers(p.layers.filter((l) => !l.quoted))) seen.quoted++;
        }
      }
    }
    // Both answers were met often: packets of the connection, others, and ICMP errors quoting it.
    expect(seen.matched).toBeGreaterThan(1000);
    expect(seen.packets - seen.matched).toBeGreaterThan(1000);
    expect(seen.quoted).toBeGreaterThan(10);
  }, 120_000);

  it('counts the packets past the kept ones on the scan path as decoding every packet does', async () => {
    // Several files, the kept limit falling inside, between and past them, the last file cut short:
    // the rows, the totals, the traced connection's count and the error are those of decoding every
    // packet (streamCaptures without the scan path).
    const dir = mkdtempSync(join(tmpdir(), 'pu-capture-'));
    const cut = join(dir, 'cut.pcap');
    const bytes = readFileSync(HTTP_PCAP);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    try {
      const second = `${corpusDir}/vxlan/tcpdump_vxlan_port_8472.pcap`;
      const files = [HTTP_PCAP, second, HTTP_PCAP, cut];
      const trace = traceOf('172.16.11.201', '54.86.237.188', 80);
      const first = await collect([HTTP_PCAP], trace);
      const rest = restScan(decoder, {}, trace);
      for (const limit of [0, 5, first.total, first.total + 3, 100_000]) {
        const decoded = await collect(files, trace, limit);
        const scanned = await collect(files, trace, limit, rest);
        expect(scanned.total, `limit ${limit}`).toBe(decoded.total);
        expect(scanned.marked, `limit ${limit}`).toBe(decoded.marked);
        expect(scanned.rows, `limit ${limit}`).toEqual(decoded.rows);
        expect(scanned.error, `limit ${limit}`).toBe(decoded.error);
      }
      // The traced connection is in the first file (twice given) and in the cut copy, but for its cut packet.
      const all = await collect(files, trace, 0, rest);
      expect(all.marked).toBeGreaterThan(first.marked * 2);
      expect(all.error).toMatch(/cut\.pcap/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a damaged capture in one line after the packets before the damage', async () => {
    const bytes = readFileSync(HTTP_PCAP);
    const dir = mkdtempSync(join(tmpdir(), 'pu-capture-'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    try {
      const { rows, error } = await collect([cut], traceOf('1.1.1.1', '2.2.2.2', 1));
      const expectedCount = tshark(HTTP_PCAP, ['frame.number']).length - 1;
      expect(rows).toHaveLength(expectedCount);
      expect(error).toMatch(/cut\.pcap/);
      expect(error).not.toContain('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `podpath ui` streams on a thread of its own (src/ui/capture/worker.ts), which gets the trace
// as plain data and sends the rows back through postMessage; the tests above stream on the
// UI's thread. Both must show the same: past the kept rows too, and for a damaged file.
describe('the Capture pane streamer on its own thread and on the UI\'s', () => {
  /** A row as plain data: the worker's rows read their words from their packed batch when asked (packed-rows.ts). */
  const plain = (r: CaptureRow): CaptureRow => ({
    ...(r.source === undefined ? {} : { source: r.source }),
    file: r.file,
    frame: r.frame,
    time: r.time,
    summary: r.summary,
    layers: r.layers,
    bytes: r.bytes,
    caplen: r.caplen,
    marked: r.marked,
    searchText: r.searchText,
  });
  /** Every row, the last counts and the end the starter dispatches. */
  function streamed(start: (dispatch: (a: UiAction) => void) => () => void): Promise<{ rows: CaptureRow[]; total: number; marked: number; error?: string }> {
    return new Promise((resolve) => {
      const rows: CaptureRow[] = [];
      let total = 0;
      let marked = 0;
      const stop = start((a) => {
        if (a.type === 'capture-batch') {
          appendAll(rows, a.rows.map(plain));
          total = a.total;
          marked = a.marked;
        } else if (a.type === 'capture-done') {
          stop();
          resolve({ rows, total, marked, ...(a.error === undefined ? {} : { error: a.error }) });
        }
      });
    });
  }

  it('gives the same rows, counts and error, past the kept rows and for a file cut short', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pu-capture-worker-'));
    try {
      // More packets than the pane keeps (DEFAULT_LIMIT), then a copy cut inside its last record.
      const bytes = readFileSync(HTTP_PCAP);
      const records = bytes.subarray(24);
      const big = join(dir, 'big.pcap');
      const copies = Math.ceil((DEFAULT_LIMIT + 1000) / tshark(HTTP_PCAP, ['frame.number']).length);
      writeFileSync(big, Buffer.concat([bytes.subarray(0, 24), ...Array<Buffer>(copies).fill(records)]));
      const cut = join(dir, 'cut.pcap');
      writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
      const trace = traceOf('172.16.11.201', '54.86.237.188', 80);
      const topology = emptyTopology();
      const inWorker = await streamed(workerCaptureStarter([big, cut], topology, trace));
      const inProcess = await streamed(captureStarter([big, cut], topology, trace, decoder));
      expect(inWorker.rows).toHaveLength(DEFAULT_LIMIT);
      expect(inWorker.total).toBeGreaterThan(DEFAULT_LIMIT);
      expect(inWorker.marked).toBeGreaterThan(0);
      expect(inWorker.error).toMatch(/cut\.pcap/);
      expect(inWorker).toStrictEqual(inProcess);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the same one line for a file that is no capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pu-capture-worker-'));
    try {
      const text = join(dir, 'notes.pcap');
      writeFileSync(text, 'not a capture\n');
      const trace = traceOf('1.1.1.1', '2.2.2.2', 1);
      const inWorker = await streamed(workerCaptureStarter([text], emptyTopology(), trace));
      expect(inWorker.error).toContain(text);
      expect(inWorker.error).not.toContain('\n');
      expect(inWorker).toStrictEqual(await streamed(captureStarter([text], emptyTopology(), trace, decoder)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

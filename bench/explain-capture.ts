// Writes the explain benchmark's capture: `packets` Ethernet/IPv4/TCP records of `connections`
// long connections (handshake, then request/response segments with their ACKs, then the FIN
// exchange), interleaved as a busy node's capture interleaves them. Streamed to disk in 4 MB
// writes, so the generator itself holds no packets. Used by bench/explain.bench.ts and the
// memory test; never committed as a file.
import { checksum16, PcapWriter } from './pcap-writer.ts';

const PAYLOAD = new Uint8Array(200).fill(0x61);

/** One frame into `out` at `at`; returns its length. */
function frame(out: Uint8Array, view: DataView, at: number, c: number, reply: boolean, flags: number, seq: number, ack: number, id: number, payload: number): number {
  const length = 14 + 20 + 20 + payload;
  out.set([0x02, 0x42, 0x0a, 0, (c >> 8) & 0xff, reply ? 1 : 2], at);
  out.set([0x02, 0x42, 0x0a, 0, (c >> 8) & 0xff, reply ? 2 : 1], at + 6);
  view.setUint16(at + 12, 0x0800);
  const ip = at + 14;
  out[ip] = 0x45;
  view.setUint16(ip + 2, 20 + 20 + payload);
  view.setUint16(ip + 4, id & 0xffff);
  view.setUint16(ip + 6, 0x4000);
  out[ip + 8] = 64;
  out[ip + 9] = 6;
  const client = [192, 168, 1 + ((c >> 8) & 0x3f), 2 + (c & 0xff) % 250];
  const server = [192, 168, 100, 10 + (c % 4)];
  out.set(reply ? server : client, ip + 12);
  out.set(reply ? client : server, ip + 16);
  view.setUint16(ip + 10, checksum16(out, ip, ip + 20));
  const tcp = ip + 20;
  view.setUint16(tcp, reply ? 80 : 40000 + (c % 20000));
  view.setUint16(tcp + 2, reply ? 40000 + (c % 20000) : 80);
  view.setUint32(tcp + 4, seq >>> 0);
  view.setUint32(tcp + 8, ack >>> 0);
  out[tcp + 12] = 0x50;
  out[tcp + 13] = flags;
  view.setUint16(tcp + 14, 502);
  if (payload > 0) out.set(PAYLOAD.subarray(0, payload), tcp + 20);
  return length;
}

export function writeExplainCapture(path: string, packets: number, connections = 64): { bytes: number } {
  const writer = new PcapWriter(path, 13);
  const perConnection = Math.max(8, Math.floor(packets / connections));
  for (let n = 0; n < packets; n++) {
    const c = n % connections;
    const step = Math.floor(n / connections);
    const last = perConnection - 1;
    const isn = 1_000_000 * (c + 1);
    const sisn = 7_000_000 + c * 1000;
    const k = step - 3; // data segments after the handshake
    const half = Math.floor(k / 2);
    const cseq = isn + 1 + half * 200;
    const sseq = sisn + 1 + half * 200;
    writer.record(54 + PAYLOAD.length, (buffer, view, record) => {
      if (step === 0) return frame(buffer, view, record, c, false, 0x02, isn, 0, n, 0);
      if (step === 1) return frame(buffer, view, record, c, true, 0x12, sisn, isn + 1, n, 0);
      if (step === 2) return frame(buffer, view, record, c, false, 0x10, isn + 1, sisn + 1, n, 0);
      if (step >= last - 1) return frame(buffer, view, record, c, step === last, 0x11, step === last ? sseq : cseq, step === last ? cseq + 1 : sseq, n, 0);
      if (k % 2 === 0) return frame(buffer, view, record, c, false, 0x18, cseq, sseq, n, 200);
      return frame(buffer, view, record, c, true, 0x18, sseq, cseq + 200, n, 200);
    });
  }
  return writer.close();
}

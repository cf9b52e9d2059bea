// One line per packet, like tshark's default output. Tunnels are shown outer
// first and marked, then the innermost packet:
//   VXLAN 1 10.74.107.63 → 10.74.107.62 | 192.168.1.7 → 192.168.2.12 TCP 50058 → 80 [SYN] …
// Each layer's codec writes its own words (LayerCodec.summaryAt, addressesAt, quotedAt);
// this file only decides which layer speaks where, from the dissection's kinds, so a line
// is written as bytes with no Layer object or string per packet. The CLI and the UI's
// capture rows both call it. Capture text (HTTP lines, NFLOG prefixes) is escaped by the
// codecs as they write it.
import { CODECS } from '../registry.ts';
import { Kind, QUOTED, type Dissection } from '../dissection.ts';
import type { LayerCodec, SummaryRole } from '../layers/codec.ts';
import { ethernet } from '../layers/ethernet.ts';
import { http } from '../layers/http.ts';
import { ipv4 } from '../layers/ipv4.ts';
import { tcp } from '../layers/tcp.ts';
import { udp } from '../layers/udp.ts';
import { vxlan } from '../layers/vxlan.ts';
import { encoded, StringSink, type ByteSink } from './sink.ts';

const SEGMENT_END = encoded(' | ');

function codecAt(d: Dissection, index: number): LayerCodec {
  return CODECS[d.kinds[index] as number] as LayerCodec;
}

const ROLE_NUMBERS: Record<SummaryRole, number> = { none: 0, link: 1, network: 2, tunnel: 3, info: 4, 'info-at-link': 5, segment: 6, trailer: 7 };
/** Each kind's summaryRole as a number, read once per layer without touching the codec object. */
const ROLES = new Uint8Array(256);
CODECS.forEach((codec, kind) => {
  if (codec) ROLES[kind] = ROLE_NUMBERS[codec.summaryRole];
});

/**
 * codec.summaryAt with one call site per hot layer (as dissect.ts's scanKind): each stays
 * monomorphic and inlined; through the table the line cost ~1.5× more.
 */
function summaryAt(d: Dissection, index: number, out: ByteSink, described: boolean): void {
  switch (d.kinds[index]) {
    case Kind.TCP: return tcp.summaryAt?.(d, index, out, described);
    case Kind.UDP: return udp.summaryAt?.(d, index, out, described);
    case Kind.IPV4: return ipv4.summaryAt?.(d, index, out, described);
    case Kind.VXLAN: return vxlan.summaryAt?.(d, index, out, described);
    case Kind.HTTP: return http.summaryAt?.(d, index, out, described);
    default: return codecAt(d, index).summaryAt?.(d, index, out, described);
  }
}

function addressesAt(d: Dissection, index: number, out: ByteSink): void {
  switch (d.kinds[index]) {
    case Kind.IPV4: return ipv4.addressesAt?.(d, index, out);
    case Kind.ETHERNET: return ethernet.addressesAt?.(d, index, out);
    default: return codecAt(d, index).addressesAt?.(d, index, out);
  }
}

/** The packet body of a summary line (without frame number and time), written into `out`. */
export function writeSummary(d: Dissection, out: ByteSink): void {
  let link = -1; // the layer whose addresses stand in when no IP header gives any (Ethernet)
  let addresses = -1; // the IP header of the current segment
  let described = -1; // the layer whose description stands
  let trailer = -1;
  let quoted = false;
  const count = d.count;
  for (let i = 0; i < count; i++) {
    if ((d.flags[i] as number) & QUOTED) {
      quoted = true;
      continue;
    }
    switch (ROLES[d.kinds[i] as number]) {
      case 1: // link
        link = i;
        addresses = -1;
        break;
      case 2: // network
        addresses = i;
        described = i;
        break;
      case 3: // tunnel
        // "VXLAN 1 <outer addresses> | ": the segment is complete, the inner packet starts afresh.
        summaryAt(d, i, out, false);
        out.byte(0x20);
        if (addresses >= 0) addressesAt(d, addresses, out);
        out.bytes(SEGMENT_END);
        addresses = -1;
        described = -1;
        trailer = -1;
        break;
      case 4: // info
        described = i;
        break;
      case 5: // info-at-link
        described = i;
        addresses = link;
        break;
      case 6: // segment
        if (codecAt(d, i).summaryIf?.(d, i, false) !== false) {
          summaryAt(d, i, out, false);
          out.bytes(SEGMENT_END);
        }
        break;
      case 7: // trailer
        trailer = i;
        break;
      default: // none
        break;
    }
  }
  // The innermost packet: its addresses, then the pieces of its description, one space apart.
  let spoken = false;
  const shown = addresses >= 0 ? addresses : link;
  if (shown >= 0) {
    addressesAt(d, shown, out);
    spoken = true;
  }
  if (described >= 0) {
    if (spoken) out.byte(0x20);
    summaryAt(d, described, out, false);
    spoken = true;
  }
  if (trailer >= 0 && codecAt(d, trailer).summaryIf?.(d, trailer, described >= 0) !== false) {
    if (spoken) out.byte(0x20);
    summaryAt(d, trailer, out, described >= 0);
    spoken = true;
  }
  if (quoted) writeQuoted(d, out, spoken);
}

/** What an ICMP error quotes: " (quoted 10.0.0.1 → 10.0.0.2 UDP 40000 → 53)". */
function writeQuoted(d: Dissection, out: ByteSink, spoken: boolean): void {
  let any = false;
  for (let i = 0; i < d.count; i++) {
    if (!((d.flags[i] as number) & QUOTED)) continue;
    const codec = codecAt(d, i);
    if (codec.quotedAt === undefined) continue;
    if (spoken || any) out.byte(0x20);
    codec.quotedAt(d, i, out);
    any = true;
  }
  if (any) out.byte(0x29); // )
}

const scratch = new StringSink();

/** The summary line as a string (the UI's capture rows). */
export function summaryText(d: Dissection): string {
  writeSummary(d, scratch);
  return scratch.take();
}

// BSD loopback (LINKTYPE_NULL 0): a 4-byte address family in the byte order of the
// host that captured. 2 is IPv4; 24, 28 and 30 are IPv6 on the BSDs and macOS.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { NullLayer } from '../types.ts';
import { base, baseJson, type LayerCodec } from './codec.ts';

function family(d: Dissection, at: number): number {
  const little = d.view.getUint32(at, true);
  return little > 0xffff ? d.view.getUint32(at, false) : little;
}

export const nullLink: LayerCodec<NullLayer> = {
  kind: Kind.NULL,
  type: 'null',
  isTunnel: false,
  summaryRole: 'none',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 4) return d.malformed(Kind.NULL, offset, end, `loopback header needs 4 bytes, ${end - offset} present`);
    d.push(Kind.NULL, offset, 4, end);
    const value = family(d, offset);
    if (value === 2) d.next(NextBy.KIND, Kind.IPV4);
    else if (value === 24 || value === 28 || value === 30) d.next(NextBy.KIND, Kind.IPV6);
    else d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): NullLayer {
    return { type: 'null', ...base(d, index), family: family(d, d.offsets[index] as number) };
  },
  json(l: NullLayer): string {
    return `{"type":"null",${baseJson(l)},"family":${l.family}}`;
  },
  detail(layer: NullLayer) {
    return { title: 'Null/Loopback', lines: [`Family: ${layer.family === 2 ? 'IP' : layer.family === 24 || layer.family === 28 || layer.family === 30 ? 'IPv6' : 'unknown'} (${layer.family})`] };
  },
};

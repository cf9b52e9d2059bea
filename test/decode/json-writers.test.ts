// The hand-written JSON writers (LayerCodec.jsonTo, bytes straight from the dissection)
// against the reference they stand in for, json(describe()) on the Layer object, byte for
// byte: fuzz.test.ts compares parsed objects, which would not see a different escape or key
// order. HTTP heads are capture text, so they are drawn from the bytes that matter to
// describe() (spaces, CR, LF, colons, "Host", quotes, backslashes, C0, DEL, C1, Latin-1).
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Dissection, Kind } from '../../src/decode/dissection.ts';
import type { LayerCodec } from '../../src/decode/layers/codec.ts';
import { http } from '../../src/decode/layers/http.ts';
import { payload } from '../../src/decode/layers/payload.ts';
import { StringSink } from '../../src/decode/output/sink.ts';
import type { Layer } from '../../src/decode/types.ts';
import { FAMILY_TIMEOUT_MS, options } from '../fuzz/settings.ts';

const bytesOf = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const pieces = fc.oneof(
  fc.constantFrom(...['GET ', 'POST ', 'HTTP/1.1 ', 'HTTP/', ' ', '  ', '\r\n', '\n', '\r', ':', 'Host', 'host', 'HOST', ' Host ', 'x-a', '/api', 'HTTP/1.0', '200 OK', '"', '\\'].map(bytesOf)),
  fc.constantFrom(0x00, 0x08, 0x09, 0x0b, 0x0c, 0x1b, 0x7f, 0x85, 0x9b, 0xa0, 0xe9, 0xff).map((b) => [b]),
  fc.integer({ min: 0, max: 255 }).map((b) => [b]),
);
const heads = fc.array(pieces, { maxLength: 40 }).map((parts) => Uint8Array.from(parts.flat()));

/** One layer of `kind` over all of `data`, quoted or not, as the dissect loop would push it. */
function dissectionOf(data: Uint8Array, kind: number, quoted: boolean, note?: string): Dissection {
  const d = new Dissection();
  d.reset(data, new DataView(data.buffer, data.byteOffset, data.byteLength), 0, data.length, 1);
  d.quoted = quoted;
  const i = d.push(kind, 0, data.length, data.length);
  d.notes[i] = note;
  return d;
}

function both<L extends Layer>(codec: LayerCodec<L>, d: Dissection): { bytes: string; reference: string } {
  const sink = new StringSink();
  codec.jsonTo?.(d, 0, sink);
  return { bytes: sink.take(), reference: codec.json(codec.describe(d, 0)) };
}

describe('hand-written JSON is json(describe()) byte for byte', () => {
  prop.prop([heads, fc.boolean()], options('json-writers-http'))(
    'HTTP: any head (request, response or neither), quoted or not',
    (head, quoted) => {
      const { bytes, reference } = both(http, dissectionOf(head, Kind.HTTP, quoted));
      expect(bytes).toBe(reference);
    },
    FAMILY_TIMEOUT_MS,
  );

  prop.prop([fc.uint8Array({ maxLength: 64 }), fc.constantFrom(undefined, 'dns', 'ipv4-fragment', 'ethertype-0x88cc', 'not decoded: vxlan would be layer 48')], options('json-writers-payload'))(
    'payload: named or not',
    (bytes, name) => {
      const { bytes: written, reference } = both(payload, dissectionOf(bytes, Kind.PAYLOAD, false, name));
      expect(written).toBe(reference);
    },
    FAMILY_TIMEOUT_MS,
  );
});

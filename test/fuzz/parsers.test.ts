// Property tests over every parser family (issue 11), with fast-check: mutated real files and
// structured inputs (see inputs.ts), each run held to properties.ts — only podpath's own errors,
// time linear in the input, bounded memory, nothing raw printed. Text families run through the
// whole pipeline to the printed summary, JSON and a trace, as the CLI does; captures through
// every decode output and the explainer's facts. Seeds are fixed (settings.ts); `npm run fuzz`
// runs 100,000 inputs per family.
import { Readable } from 'node:stream';
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { decodedPacket, dissectPacket, layersOf, packetJson } from '../../src/decode/dissect.ts';
import { Dissection } from '../../src/decode/dissection.ts';
import { detailLines } from '../../src/decode/output/detail.ts';
import { summaryText } from '../../src/decode/output/summary-line.ts';
import { scanCapture } from '../../src/decode/read/stream.ts';
import { portTable } from '../../src/decode/registry.ts';
import { packetFacts } from '../../src/explain/facts.ts';
import { FactsReader } from '../../src/explain/facts-scan.ts';
import { buildTopology } from '../../src/topology/build/index.ts';
import type { DumpKind, DumpText } from '../../src/topology/inputs/dump.ts';
import { readTranscript, type ReadInputsResult } from '../../src/topology/inputs/read.ts';
import { gatherRecords } from '../../src/topology/inputs/records.ts';
import type { Topology } from '../../src/topology/model.ts';
import { renderJson, renderSummary } from '../../src/topology/summary.ts';
import { renderTrace, renderTraceJson } from '../../src/trace/render.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import { escapeLine } from '../../src/util/escape-text.ts';
import { capture, iptablesSoup, mutatedText, routeSoup, transcript } from './inputs.ts';
import { holds, holdsAsync, printable } from './properties.ts';
import { FAMILY_TIMEOUT_MS, options } from './settings.ts';

const ADDR =
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n' +
  '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n';

const KINDS: DumpKind[] = ['addr', 'link', 'addr-json', 'addr-brief', 'route', 'route-json', 'rule', 'neigh', 'neigh-json', 'fdb', 'fdb-json', 'brctl', 'iptables', 'nft', 'nft-json', 'ipset', 'ipvs', 'sysctl', 'kubectl-pods', 'kubectl-svc', 'kubectl-objects', 'kubectl-namespaces'];

function dump(kind: DumpKind, text: string, file: string, host = 'n1'): DumpText {
  return { kind, text, file, firstLine: 1, partial: false, host, hostEvidence: 'option' };
}

/** What the CLI prints for these dumps: topology text and JSON, and a trace from the node. */
function printAll(dumps: DumpText[]): void {
  const gathered = gatherRecords(dumps, []);
  if (gathered.namespaces.length === 0) return;
  const topology: Topology = buildTopology(gathered);
  printable(renderSummary(topology));
  printable(renderJson(topology));
  const from = topology.nodes[0]?.name;
  if (from === undefined) return;
  for (const to of ['10.9.0.5:80', '10.96.0.10:80', '10.0.0.7:53/udp']) {
    const result = traceQuery(topology, { from, to });
    printable(renderTrace(result));
    printable(renderTraceJson(result));
  }
}

describe('property: any text dump, however bad', () => {
  it.prop([fc.constantFrom(...KINDS), fc.oneof({ weight: 4, arbitrary: mutatedText }, { weight: 1, arbitrary: fc.string({ maxLength: 3000, unit: 'binary' }) })], options('dumps'))(
    'is read into a topology, printed and traced with only podpath errors, in linear time',
    (kind, text) => {
      holds(text.length, () => printAll([dump('addr', ADDR, 'addr.txt'), dump(kind, text, 'fuzz.txt')]));
    },
    FAMILY_TIMEOUT_MS,
  );
});

describe('property: iptables-save rule token soup', () => {
  it.prop([fc.oneof({ weight: 3, arbitrary: iptablesSoup }, { weight: 1, arbitrary: mutatedText })], options('iptables'))(
    'is read, printed and traced (jump loops, bad numbers, unterminated quotes) with only podpath errors',
    (text) => {
      holds(text.length, () => printAll([dump('addr', ADDR, 'addr.txt'), dump('route', 'default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 scope link\n', 'route.txt'), dump('iptables', text, 'fuzz.txt')]));
    },
    FAMILY_TIMEOUT_MS,
  );
});

describe('property: ip route token soup', () => {
  it.prop([routeSoup], options('route'))(
    'is read, printed and traced (gateways through themselves, MACs, bad prefixes) with only podpath errors',
    (text) => {
      holds(text.length, () => printAll([dump('addr', ADDR, 'addr.txt'), dump('route', text, 'fuzz.txt')]));
    },
    FAMILY_TIMEOUT_MS,
  );
});

describe('property: transcripts', () => {
  it.prop([transcript], options('transcript'))(
    'are split, read, printed and traced with only podpath errors, in linear time',
    (text) => {
      holds(text.length, () => {
        const result: ReadInputsResult = { dumps: [], warnings: [] };
        readTranscript(text, 'fuzz.txt', undefined, { node: 'n1' }, result);
        printAll(result.dumps);
      });
    },
    FAMILY_TIMEOUT_MS,
  );
});

describe('property: captures with chosen length fields, and mutated real captures', () => {
  const table = portTable({ vxlanPorts: [58678] });
  it.prop([capture], options('capture'))(
    'decode to every output and to the explainer\'s facts, or stop with one CaptureError',
    async (bytes) => {
      const d = new Dissection();
      const reader = new FactsReader();
      const packets = await holdsAsync(bytes.length, () =>
        scanCapture(Readable.from([bytes]), { name: 'fuzz' }, (packet) => {
          expect(packet.caplen).toBeGreaterThanOrEqual(0);
          dissectPacket(d, packet, table);
          const layers = layersOf(d);
          const json = packetJson(packet, d);
          // --json lines are printed as they are: pure ASCII.
          expect(json).toMatch(/^[\x20-\x7e]*$/);
          JSON.parse(json);
          // The decoder's own record builder (it carries both pcapng interface names, as explain reads them).
          const decoded = decodedPacket(packet, layers);
          // The summary line escapes capture text itself, as it writes it.
          printable(summaryText(d));
          for (const line of detailLines(decoded)) printable(escapeLine(line));
          // The explainer's facts straight from the dissection say what the Layer objects say.
          const { tupleKey: _key, ...fast } = reader.read(packet, d, 0);
          expect(fast).toEqual(packetFacts(decoded, 0));
        }),
      );
      if (packets !== undefined) expect(packets.packets).toBeGreaterThanOrEqual(0);
    },
    FAMILY_TIMEOUT_MS,
  );
});

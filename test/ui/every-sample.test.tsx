// Every pane on every lab sample (ink-testing-library, real loader, tracer and
// decoder): the hop list from first to last sighting, the detail and topology of
// the selected hop, and the capture of the first sighting with the connection's
// packets marked as tshark counts them. Expected values: expected.json and tshark.
import { afterEach, describe, expect, it } from 'vitest';
import { oracle } from '../helpers/oracle.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { loadTopology } from '../../src/topology/load.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import * as decoder from '../../src/decode/index.ts';
import { App } from '../../src/ui/App.tsx';
import { captureStarter } from '../../src/ui/capture/start.ts';
import { makeTheme } from '../../src/ui/theme.ts';
import { inputWarnings } from '../../src/ui/warnings.ts';
import { repoRoot } from '../helpers/run.ts';
import { frameWhere } from './helpers.ts';
import { UI_GAPS } from '../helpers/sample-gaps.ts';

interface Sighting {
  at: string;
  interface: string;
  sport: number;
  capture: string;
}
interface Connection {
  id: string;
  from: string;
  to: string;
  endpoint?: string;
  /** A datagram's IP total length and DF bit, as the lab's client sent it (the path picker's --size/--df). */
  size?: number;
  df?: boolean;
  sightings: Sighting[];
}

const samplesDir = join(repoRoot, 'samples');
const samples = readdirSync(samplesDir).filter((name) => existsSync(join(samplesDir, name, 'expected.json')));
afterEach(() => cleanup());

/** Packets in the capture, and those tshark's `<proto>.port == port` filter keeps (quoted headers of ICMP errors included), from one tshark run. */
function tsharkCounts(file: string, proto: 'tcp' | 'udp', port: number): { all: number; matching: number } {
  const out = oracle('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'frame.number', '-e', `${proto}.port`]).trim();
  const rows = out === '' ? [] : out.split('\n').map((line) => line.split('\t'));
  return { all: rows.length, matching: rows.filter((r) => (r[1] ?? '').split(',').includes(String(port))).length };
}

describe('every pane on every sample', () => {
  for (const name of samples) {
    if (UI_GAPS[name]) {
      it.todo(`${name}: ${UI_GAPS[name]}`);
      continue;
    }
    it(`${name}`, async () => {
      const dir = join(samplesDir, name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { connections: Connection[] };
      // The user's main case: pod1 to the web service (the first connection otherwise).
      const connection = expected.connections.find((c) => c.id === 'pod1-to-web') ?? expected.connections[0]!;
      const first = connection.sightings[0]!;
      const last = connection.sightings.at(-1)!;
      const topology = await loadTopology([dir]);
      const size = connection.size !== undefined ? { size: connection.size, df: connection.df ?? true } : {};
      const trace = traceQuery(topology, { from: connection.from, to: connection.to, sport: first.sport, ...size });
      const pathIndex = Math.max(0, trace.paths.findIndex((p) => p.endpoint === connection.endpoint));
      const capture = join(dir, first.capture);
      const startCapture = captureStarter([capture], topology, trace, decoder);
      const ui = render(
        <App trace={trace} topology={topology} warnings={inputWarnings(topology, trace)} theme={makeTheme({ NO_COLOR: '1' })} startCapture={startCapture} />,
      );
      const hopRow = (n: number, s: Sighting) => new RegExp(`›\\s*${n} ${s.at.replace(/\./g, '\\.')} ${s.interface.replace(/\./g, '\\.')}`);
      await frameWhere(ui.lastFrame, (f) => hopRow(1, first).test(f));
      // The endpoint the lab's connection reached, through the path picker when there are several.
      if (pathIndex > 0) {
        ui.stdin.write('p');
        await frameWhere(ui.lastFrame, (f) => f.includes('Choose a path'));
        for (let i = 0; i < pathIndex; i++) ui.stdin.write('j');
        ui.stdin.write('\r');
        await frameWhere(ui.lastFrame, (f) => f.includes(`‹${pathIndex + 1}/`));
      }
      ui.stdin.write('G');
      await frameWhere(ui.lastFrame, (f) => hopRow(connection.sightings.length, last).test(f));
      ui.stdin.write('2');
      await frameWhere(ui.lastFrame, (f) => f.includes(`║Detail · hop ${connection.sightings.length}/${connection.sightings.length} ${last.at} ${last.interface}`));
      ui.stdin.write('3');
      await frameWhere(ui.lastFrame, (f) => f.includes(`hop ${connection.sightings.length}: ${last.at} ${last.interface}`) && f.includes('▶'));
      ui.stdin.write('4');
      const captured = await frameWhere(ui.lastFrame, (f) => f.includes('read to the end') || f.includes('stopped:'), 10_000);
      const proto = connection.to.endsWith('/udp') ? 'udp' : 'tcp';
      const counts = tsharkCounts(capture, proto, first.sport);
      expect(captured).toContain(`${counts.all} packets, ● ${counts.matching} of the traced connection`);
    }, 30_000);
  }
});

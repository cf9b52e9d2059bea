// Regenerates samples/<scenario>/ from a live lab (run as root; `npm run lab` runs it for
// every scenario through test/lab/record-all.sh).
//
//   node bin/run-ts.js test/lab/record.ts [--out DIR] [--prefix pl] [scenario …]
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildExpected } from './lib/expected.ts';
import { activeLabs } from './lib/lab.ts';
import { finishCaptures, recordScenario } from './lib/record.ts';
import { scenarioReadme } from './lib/readme.ts';
import { transcript } from './lib/transcript.ts';
import { SCENARIOS, scenarioByName } from './scenarios.ts';
import type { ScenarioSpec } from './lib/spec.ts';

export interface RecordedScenario {
  dir: string;
  expected: ExpectedFile;
}

/** The parts of expected.json the lab's own test reads back. */
export interface ExpectedFile {
  scenario: string;
  connections: {
    id: string;
    outcome: string;
    endpoint?: string;
    clientSaw: string;
    service?: string;
    sightings: { at: string; interface: string; src: string; dst: string; sport: number; dport: number; outer?: { src: string; dst: string; sport: number; dport: number; vni: number } }[];
    netfilter: { node: string; table: string; chain: string; rule: string | null; verdict: string; target?: string }[];
  }[];
  services: { namespace: string; name: string; portName: string; endpoints: { ip: string; port: number }[] }[];
}

/** Builds, records and tears down one scenario, writing docs/samples-format.md's layout into `dir`. */
export async function recordToDirectory(spec: ScenarioSpec, dir: string, prefix: string): Promise<RecordedScenario> {
  const recording = await recordScenario(spec, dir, prefix);
  const expected = buildExpected(spec, dir, recording.nanoDir, recording.captures, recording.clients) as ExpectedFile;
  finishCaptures(recording);
  writeFileSync(join(dir, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`);
  writeFileSync(join(dir, 'transcript.txt'), transcript(spec, dir));
  writeFileSync(join(dir, 'README.md'), scenarioReadme(spec, expected));
  return { dir, expected };
}

async function main(argv: string[]): Promise<number> {
  let out = 'samples';
  let prefix = 'pl';
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--out') out = argv[++i] ?? out;
    else if (arg === '--prefix') prefix = argv[++i] ?? prefix;
    else names.push(arg);
  }
  if (process.getuid?.() !== 0) {
    console.error('record.ts: the lab needs root (network namespaces, iptables, tcpdump)');
    return 2;
  }
  // A signal must not leave namespaces behind: tear down what is up, then exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void Promise.all([...activeLabs].map((lab) => lab.teardown())).finally(() => process.exit(130));
    });
  }
  const specs = names.length === 0 ? SCENARIOS : names.map(scenarioByName);
  for (const spec of specs) {
    const started = Date.now();
    const { expected } = await recordToDirectory(spec, resolve(out, spec.name), prefix);
    const summary = expected.connections.map((c) => `${c.id}=${c.outcome}${c.endpoint ? `@${c.endpoint}` : ''}`).join(' ');
    console.log(`${spec.name}: ${summary} (${Date.now() - started} ms)`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}

// Captures named the way people name them (issue 14): every lab scenario's captures are
// copied into a temporary directory under other names — `a.pcap`, `b.pcap`, … (placed by
// their frames alone), or names holding the node or pod and the interface with other
// separators (`probe0-worker-1-flannel.1.pcap`, `WORKER-2@eth0.pcap`, `w2_eth0.pcap`,
// `node1.cni0.pcap`) — and explained beside the scenario's dumps. The expected place of each
// copy is where the lab wrote the original (`captures/<at>__<iface>.pcap`); the journeys and
// faults must be the ones the same captures give placed with --at.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const samplesDir = join(repoRoot, 'samples');
const scenarios = existsSync(samplesDir) ? readdirSync(samplesDir).filter((d) => existsSync(join(samplesDir, d, 'expected.json'))).sort() : [];

interface LabCapture {
  /** The lab's file, `captures/<at>__<iface>.pcap`. */
  source: string;
  at: string;
  interface: string;
  /** A classic pcap of 24 bytes is its file header alone: no packets. */
  empty: boolean;
}

function labCaptures(scenario: string): LabCapture[] {
  const dir = join(samplesDir, scenario, 'captures');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => {
      const [at, iface] = f.replace(/\.pcap$/, '').split('__') as [string, string];
      return { source: join(dir, f), at, interface: iface, empty: statSync(join(dir, f)).size === 24 };
    });
}

async function explain(files: string[], scenario: string, locations?: Record<string, { at: string; interface?: string }>): Promise<Explanation> {
  const { explainFiles } = await import('../../src/explain/index.ts');
  const { loadTopology } = await import('../../src/topology/load.ts');
  const { tracerFunction } = await import('../../src/explain/links.ts');
  const e = await explainFiles(files, await loadTopology([join(samplesDir, scenario)]), { trace: await tracerFunction(), ...(locations ? { locations } : {}) });
  return JSON.parse(JSON.stringify(e)) as Explanation;
}

/** What must not depend on how the captures were placed: every journey's hops, verdict and cause, the troubles, the exit status. */
function outcome(e: Explanation): unknown {
  return {
    journeys: e.journeys.map((j) => ({
      connection: j.connection,
      verdict: j.verdict,
      sightings: j.sightings.map((s) => `${s.at} ${s.interface} #${s.frame}`),
      lostAfter: j.lostAfter,
      missingAt: j.missingAt,
      predicted: j.predicted,
      cause: j.cause?.kind,
      reply: j.reply?.verdict,
    })),
    troubles: e.troubles.map((t) => `${t.kind} ${t.frame} ${t.connection ?? ''}`),
    faultFound: e.faultFound,
  };
}

/** Nodes named `<letters>-<n>` (worker-1): the abbreviations docs/explain.md accepts. */
function nameForms(c: LabCapture, i: number, nodes: string[]): string {
  const isNode = nodes.includes(c.at);
  const number = /(\d+)$/.exec(c.at)?.[1];
  const forms = [
    `probe0-${c.at}-${c.interface}.pcap`,
    `${c.at.toUpperCase()}@${c.interface}.pcap`,
    isNode && number ? `${c.at[0]}${number}_${c.interface}.pcap` : `${c.at}_${c.interface}.pcap`,
    isNode && number ? `node${number}.${c.interface}.pcap` : `${c.at} ${c.interface}.pcap`,
  ];
  return forms[i % forms.length]!;
}

describe.runIf(scenarios.length > 0)('captures placed by their evidence, on every lab scenario', () => {
  for (const scenario of scenarios) {
    describe(scenario, () => {
      const captures = labCaptures(scenario);
      const expected = JSON.parse(readFileSync(join(samplesDir, scenario, 'expected.json'), 'utf8')) as { nodes: { name: string }[] };
      const nodes = expected.nodes.map((n) => n.name);
      let baseline: Promise<Explanation> | undefined;
      /** The same captures under the same neutral names, each placed with --at where the lab took it. */
      const placedWithAt = (files: string[]): Promise<Explanation> =>
        (baseline ??= explain(files, scenario, Object.fromEntries(files.map((f, i) => [f, { at: captures[i]!.at, interface: captures[i]!.interface }]))));

      it('a.pcap, b.pcap, …: every capture with frames is placed by them where the lab took it, an empty one is said to need a name or --at; journeys and faults as with --at', async () => {
        const tmp = mkdtempSync(join(tmpdir(), 'podpath-place-'));
        const files = captures.map((c, i) => {
          const file = join(tmp, `${String.fromCharCode(97 + i)}.pcap`);
          copyFileSync(c.source, file);
          return file;
        });
        const e = await explain(files, scenario);
        captures.forEach((c, i) => {
          const parts = e.captures.filter((x) => x.file === files[i]);
          if (c.empty) {
            expect(parts.map((p) => p.unplaced?.reason), c.source).toEqual(['empty']);
            expect(parts[0]!.unplaced!.text).toContain('only its name');
          } else if (c.interface === 'any') {
            // Linux cooked v2 carries no MACs: the ifindexes place it (its own test below).
            expect(parts.every((p) => p.at === c.at && p.fromAny === true), c.source).toBe(true);
          } else {
            expect(parts.map((p) => `${p.at} ${p.interface}`), c.source).toEqual([`${c.at} ${c.interface}`]);
            expect(parts[0]!.placedBy.map((p) => p.by), c.source).toContain('mac-addresses');
          }
        });
        const withAt = await placedWithAt(files);
        expect(outcome(e)).toEqual(outcome(withAt));
      });

      it('names with the node or pod and the interface, other separators and case, node abbreviations: placed by file name; journeys and faults as with --at', async () => {
        const tmp = mkdtempSync(join(tmpdir(), 'podpath-names-'));
        const neutral = mkdtempSync(join(tmpdir(), 'podpath-neutral-'));
        const files = captures.map((c, i) => {
          const file = join(tmp, nameForms(c, i, nodes));
          copyFileSync(c.source, file);
          return file;
        });
        const e = await explain(files, scenario);
        captures.forEach((c, i) => {
          const parts = e.captures.filter((x) => x.file === files[i]);
          expect(parts.every((p) => p.at === c.at), files[i]).toBe(true);
          if (c.interface !== 'any') expect(parts.map((p) => p.interface), files[i]).toEqual([c.interface]);
          expect(parts.every((p) => p.placedBy.some((b) => b.by === 'file-name')), files[i]).toBe(true);
        });
        // The baseline must see the same file names' order and contents, not these names.
        const copies = captures.map((c, i) => {
          const file = join(neutral, `${String.fromCharCode(97 + i)}.pcap`);
          copyFileSync(c.source, file);
          return file;
        });
        const withAt = await placedWithAt(copies);
        expect(outcome(e)).toEqual(outcome(withAt));
      });
    });
  }
});

// The one `tcpdump -i any` capture of each scenario, renamed so its name says nothing: the
// Linux cooked v2 header's interface index of every packet names the interface, from the
// node's own `ip -d link` dump (`<index>: <name>:` or `<name>@…`), and only that node's
// dump has all of them.
describe.runIf(scenarios.length > 0)('a cooked v2 capture placed by its interface indexes', () => {
  for (const scenario of scenarios) {
    const any = labCaptures(scenario).find((c) => c.interface === 'any');
    if (!any) continue;
    it(`${scenario}: ${any.at}'s -i any capture as capture.pcap`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'podpath-sll2-')), 'capture.pcap');
      copyFileSync(any.source, file);
      const { explainFiles } = await import('../../src/explain/index.ts');
      const { loadTopology } = await import('../../src/topology/load.ts');
      const e = await explainFiles([file], await loadTopology([join(samplesDir, scenario)]));
      const links = readFileSync(join(samplesDir, scenario, any.at, 'ip-d-link.txt'), 'utf8');
      const names = new Map([...links.matchAll(/^(\d+): ([^:@\s]+)[@:]/gm)].map((m) => [Number(m[1]), m[2]!]));
      expect(e.captures.length).toBeGreaterThan(1);
      for (const part of e.captures) {
        expect(part.at).toBe(any.at);
        const evidence = part.placedBy.find((p) => p.by === 'sll2-ifindex')!;
        const index = Number(/SLL2 interface index (\d+) = /.exec(evidence.text)![1]);
        expect(names.get(index)).toBe(part.interface);
        expect(evidence.text).toContain(`SLL2 interface index ${index} = ${part.interface} in ${any.at}'s ip link`);
      }
    });
  }
});

describe.runIf(scenarios.includes('seed-flannel'))('what a name cannot settle is said', () => {
  const captures = labCaptures('seed-flannel');
  const docker0 = captures.find((c) => c.at === 'worker-1' && c.interface === 'docker0' && c.empty)!;

  it('an empty capture is placed by its name, and only by its name', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-empty-'));
    const named = join(tmp, 'Worker-1_docker0.pcap');
    const bare = join(tmp, 'b.pcap');
    copyFileSync(docker0.source, named);
    copyFileSync(docker0.source, bare);
    const result = await runPodpath(['explain', '--json', named, bare, 'samples/seed-flannel']);
    const e = JSON.parse(result.stdout) as Explanation;
    expect(e.captures[0]).toMatchObject({ at: 'worker-1', interface: 'docker0', packets: 0 });
    expect(e.captures[0]!.placedBy).toEqual([{ by: 'file-name', text: 'file name: worker-1 docker0' }]);
    expect(e.captures[1]!.at).toBeUndefined();
    expect(e.captures[1]!.unplaced?.reason).toBe('empty');
    const text = await runPodpath(['explain', named, bare, 'samples/seed-flannel']);
    expect(text.stdout).toContain('placed by: file name: worker-1 docker0');
    expect(text.stdout).toContain('not placed: no packets: only its name');
  });

  it('a name fitting two nodes is said ambiguous, not guessed', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-ambiguous-'));
    const file = join(tmp, 'worker-1-worker-2-docker0.pcap');
    copyFileSync(docker0.source, file);
    const result = await runPodpath(['explain', '--json', file, 'samples/seed-flannel']);
    const e = JSON.parse(result.stdout) as Explanation;
    expect(e.captures[0]!.at).toBeUndefined();
    expect(e.captures[0]!.unplaced?.reason).toBe('ambiguous');
    expect(e.captures[0]!.unplaced?.text).toContain('fits worker-1 docker0 and worker-2 docker0 equally');
  });

  it('--at wins over the name and the frames', async () => {
    const flannel = captures.find((c) => c.at === 'worker-1' && c.interface === 'flannel.1')!;
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-at-')), 'worker-2-eth0.pcap');
    copyFileSync(flannel.source, file);
    const result = await runPodpath(['explain', '--json', file, '--at', `${file}=worker-1:flannel.1`, 'samples/seed-flannel']);
    const e = JSON.parse(result.stdout) as Explanation;
    expect(e.captures[0]).toMatchObject({ at: 'worker-1', interface: 'flannel.1' });
    expect(e.captures[0]!.placedBy).toEqual([{ by: 'at', text: '--at worker-1:flannel.1' }]);
  });
});

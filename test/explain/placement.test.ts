// Captures named the way people name them (issue 14): every lab scenario's captures are
// copied into a temporary directory under other names — `a.pcap`, `b.pcap`, … (placed by
// their frames alone), or names holding the node or pod and the interface with other
// separators (`probe0-worker-1-flannel.1.pcap`, `WORKER-2@eth0.pcap`, `w2_eth0.pcap`,
// `node1.cni0.pcap`) — and explained beside the scenario's dumps. The expected place of each
// copy is where the lab wrote the original (`captures/<at>__<iface>.pcap`); the journeys and
// faults must be the ones the same captures give placed with --at.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/model.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const samplesDir = join(repoRoot, 'samples');

/**
 * tshark run live, for captures made during the test (recorded afresh from the kernel, or
 * written by editcap or the v1 rewrite below): their bytes differ from run to run or are not
 * committed, so they have no recorded oracle (test/helpers/oracle.ts); these groups need tshark.
 */
function liveFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-n', ...extra, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}
type Fields = typeof liveFields;
import { PLACEMENT_GAPS } from '../helpers/sample-gaps.ts';
import { labScenarios } from '../helpers/samples.ts';
const scenarios = labScenarios();

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

describe('captures placed by their evidence, on every lab scenario', () => {
  for (const scenario of scenarios) {
    if (PLACEMENT_GAPS[scenario]) {
      it.todo(`${scenario}: ${PLACEMENT_GAPS[scenario]}`);
      continue;
    }
    describe(scenario, () => {
      const captures = labCaptures(scenario);
      const expected = JSON.parse(readFileSync(join(samplesDir, scenario, 'expected.json'), 'utf8')) as { nodes: { name: string }[] };
      const nodes = expected.nodes.map((n) => n.name);
      let baseline: Promise<Explanation> | undefined;
      /** The same captures under the same neutral names, each placed with --at where the lab took it. */
      const placedWithAt = (files: string[]): Promise<Explanation> =>
        (baseline ??= explain(files, scenario, Object.fromEntries(files.map((f, i) => [f, { at: captures[i]!.at, interface: captures[i]!.interface }]))));

      let byFrames: Promise<{ files: string[]; e: Explanation }> | undefined;
      /** The lab's captures as a.pcap, b.pcap, …: nothing but their frames to place them by. */
      const placedByFrames = (): Promise<{ files: string[]; e: Explanation }> =>
        (byFrames ??= (async () => {
          const tmp = mkdtempSync(join(tmpdir(), 'podpath-place-'));
          const files = captures.map((c, i) => {
            const file = join(tmp, `${String.fromCharCode(97 + i)}.pcap`);
            copyFileSync(c.source, file);
            return file;
          });
          return { files, e: await explain(files, scenario) };
        })());

      it('a.pcap, b.pcap, …: every capture with frames is placed by them where the lab took it, an empty one is said to need a name or --at; journeys and faults as with --at', async () => {
        const { files, e } = await placedByFrames();
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

      // How sure: a VTEP's capture (flannel.1, vxlan.calico: inner frames only) by its VTEP MAC,
      // an underlay capture by its VXLAN packets' outer addresses, counted as tshark counts them
      // (eth.src / eth.dst; the outer ip.src / ip.dst of vxlan frames). The VTEP's MAC is its
      // `link/ether` in the node's ip -d link, the node's address the lab's (expected.json).
      it('a.pcap, b.pcap, …: a VTEP capture says how many frames carry its VTEP MAC, an underlay one how many VXLAN packets carry its node address outside', async () => {
        const { files, e } = await placedByFrames();
        const { tsharkFields } = await import('./tshark.ts');
        const record = JSON.parse(readFileSync(join(samplesDir, scenario, 'expected.json'), 'utf8')) as { nodes: { name: string; underlay: string }[]; vteps: { node: string; device: string; port: number }[] };
        let checked = 0;
        captures.forEach((c, i) => {
          if (c.empty || c.interface === 'any') return;
          const evidence = e.captures.find((x) => x.file === files[i])!.placedBy;
          const vtep = record.vteps.find((v) => v.node === c.at && v.device === c.interface);
          const node = record.nodes.find((n) => n.name === c.at);
          if (vtep) {
            const links = readFileSync(join(samplesDir, scenario, c.at, 'ip-d-link.txt'), 'utf8');
            const mac = new RegExp(`^\\d+: ${c.interface.replace('.', '\\.')}[:@][^\\n]*\\n\\s+link/ether (\\S+)`, 'm').exec(links)![1]!;
            const rows = tsharkFields(c.source, ['eth.src', 'eth.dst']);
            const src = rows.filter((r) => r[0] === mac).length;
            const dst = rows.filter((r) => r[1] === mac).length;
            expect(src + dst, c.source).toBeGreaterThan(0);
            expect(evidence.find((b) => b.by === 'mac-addresses')?.text, c.source).toContain(`fit ${c.at} ${c.interface} (its MAC ${mac} is the source of ${src} and the destination of ${dst})`);
            checked++;
          } else if (node && c.interface === 'eth0') {
            const ports = [...new Set(record.vteps.map((v) => v.port))].flatMap((port) => ['-d', `udp.port==${port},vxlan`]);
            const outer = tsharkFields(c.source, ['ip.src', 'ip.dst'], [...ports, '-Y', 'vxlan']).map((r) => [r[0]!.split(',')[0], r[1]!.split(',')[0]]);
            const from = outer.filter((r) => r[0] === node.underlay).length;
            const to = outer.filter((r) => r[1] === node.underlay).length;
            const said = evidence.find((b) => b.by === 'outer-addresses');
            checked++;
            if (outer.length === 0) {
              expect(said, c.source).toBeUndefined();
              return;
            }
            expect(said?.text, c.source).toContain(`${from + to} of `);
            expect(said?.text, c.source).toContain(`frames are VXLAN (UDP ${record.vteps.find((v) => v.node === c.at)?.port}) packets with ${c.at} eth0's address ${node.underlay} as outer source on ${from} and as outer destination on ${to}`);
          }
        });
        // Every scenario has the nodes' eth0 captures (bridge-order's hold a router solicitation each).
        expect(checked).toBeGreaterThanOrEqual(record.nodes.length);
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
describe('a cooked v2 capture placed by its interface indexes', () => {
  for (const scenario of scenarios) {
    if (PLACEMENT_GAPS[scenario]) {
      it.todo(`${scenario}: ${PLACEMENT_GAPS[scenario]}`);
      continue;
    }
    const any = labCaptures(scenario).find((c) => c.interface === 'any');
    if (!any) continue;
    // bridge-order's worker-2 saw nothing: with no packet there is no interface index to read.
    if (any.empty) {
      it(`${scenario}: ${any.at}'s -i any capture has no packets: as capture.pcap it is said to need a name or --at`, async () => {
        const file = join(mkdtempSync(join(tmpdir(), 'podpath-sll2-')), 'capture.pcap');
        copyFileSync(any.source, file);
        const result = await runPodpath(['explain', file, `samples/${scenario}`]);
        expect(result.stdout).toContain('not placed: no packets: only its name (<node or pod>-<interface>) or --at can place it');
        const e = JSON.parse((await runPodpath(['explain', '--json', file, `samples/${scenario}`])).stdout) as Explanation;
        expect(e.captures.map((c) => [c.at, c.unplaced?.reason])).toEqual([[undefined, 'empty']]);
        // Named the way people name it, the same file is placed on the node, interface `any`.
        const named = join(mkdtempSync(join(tmpdir(), 'podpath-sll2-')), `${any.at}_any.pcap`);
        copyFileSync(any.source, named);
        const byName = JSON.parse((await runPodpath(['explain', '--json', named, `samples/${scenario}`])).stdout) as Explanation;
        expect(byName.captures.map((c) => [c.at, c.interface, c.placedBy.map((b) => b.by)])).toEqual([[any.at, 'any', ['file-name']]]);
      });
      continue;
    }
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

describe('what a name cannot settle is said', () => {
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

// bridge-order's pod2 saw two frames: worker-2 cni0's router solicitation (flooded to every
// port and pod) and the one its host veth sent from its own MAC (seen on that veth and pod2's
// eth0 only). Alone, that capture fits pod2's eth0 and its host veth equally, and no other
// capture's times can tell which end it is: podpath says both, and guesses neither. The two
// candidates come from the lab's record (the file is captures/pod2__eth0.pcap) and from the
// dumps' own text: pod2's `eth0@if<n>` names the host veth's ifindex in worker-2's ip link.
describe.runIf(scenarios.includes('bridge-order'))('what the frames cannot settle is said', () => {
  it('pod2 eth0\'s capture alone as a.pcap: ambiguous between pod2 eth0 and its host veth, both named', async () => {
    const pod2 = labCaptures('bridge-order').find((c) => c.at === 'pod2' && c.interface === 'eth0')!;
    const podLink = readFileSync(join(samplesDir, 'bridge-order', 'worker-2', 'pods', 'pod2', 'ip-d-link.txt'), 'utf8');
    const peerIndex = /^\d+: eth0@if(\d+):/m.exec(podLink)![1]!;
    const nodeLink = readFileSync(join(samplesDir, 'bridge-order', 'worker-2', 'ip-d-link.txt'), 'utf8');
    const hostVeth = new RegExp(`^${peerIndex}: ([^:@\\s]+)[@:]`, 'm').exec(nodeLink)![1]!;
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-alone-')), 'a.pcap');
    copyFileSync(pod2.source, file);
    const e = JSON.parse((await runPodpath(['explain', '--json', file, 'samples/bridge-order'])).stdout) as Explanation;
    expect(e.captures).toHaveLength(1);
    expect(e.captures[0]!.at).toBeUndefined();
    expect(e.captures[0]!.unplaced?.reason).toBe('ambiguous');
    const text = e.captures[0]!.unplaced!.text;
    expect(text).toContain(`${pod2.at} ${pod2.interface}`);
    expect(text).toContain(`worker-2 ${hostVeth}`);
    expect(text).toMatch(/^2 of 2 frames fit /);
    // With the host veth's own capture beside it, the times say which is which.
    const veth = labCaptures('bridge-order').find((c) => c.at === 'worker-2' && c.interface === hostVeth)!;
    const other = join(mkdtempSync(join(tmpdir(), 'podpath-pair-')), 'b.pcap');
    copyFileSync(veth.source, other);
    const both = JSON.parse((await runPodpath(['explain', '--json', file, other, 'samples/bridge-order'])).stdout) as Explanation;
    expect(both.captures.map((c) => `${c.at} ${c.interface}`)).toEqual([`${pod2.at} ${pod2.interface}`, `worker-2 ${hostVeth}`]);
    expect(both.captures.map((c) => c.placedBy.map((b) => b.by))).toEqual([['mac-addresses', 'timing'], ['mac-addresses', 'timing']]);
  });
});

// `tcpdump -w - | podpath explain - dumps/`: a capture read from stdin, like `podpath decode -`.
describe('explain - (stdin)', () => {
  it('reads the capture from stdin and places it by its frames, or by --at -=NODE:IFACE', async () => {
    const source = labCaptures('seed-flannel').find((c) => c.at === 'worker-1' && c.interface === 'flannel.1')!;
    const input = readFileSync(source.source);
    const byFrames = JSON.parse((await runPodpath(['explain', '--json', '-', 'samples/seed-flannel'], { input })).stdout) as Explanation;
    expect(byFrames.captures).toHaveLength(1);
    expect(byFrames.captures[0]).toMatchObject({ file: '-', at: 'worker-1', interface: 'flannel.1' });
    const byAt = JSON.parse((await runPodpath(['explain', '--json', '-', 'samples/seed-flannel', '--at', '-=worker-2:flannel.1'], { input })).stdout) as Explanation;
    expect(byAt.captures[0]).toMatchObject({ at: 'worker-2', interface: 'flannel.1', placedBy: [{ by: 'at' }] });
    const twice = await runPodpath(['explain', '-', '-', 'samples/seed-flannel'], { input });
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('stdin (-) can be given once');
  });
});

// pcapng as dumpcap writes it: an Interface Description Block per interface, with if_name.
// test/explain/record-pcapng.sh sends the frames of the lab's worker-1 flannel.1 and
// veth6b3caf45 captures into veth pairs whose capturing ends have those names, in a
// namespace of its own, under `dumpcap -i flannel.1 -i veth6b3caf45` and `dumpcap -i
// flannel.1`. The recordings are committed (test/explain/captures/) for runs without root;
// with root the script records them afresh. The interface names and per-interface counts
// come from tshark, the node from where the lab took the frames (worker-1).
function pcapngChecks(dir: () => string, fields: () => Promise<Fields>): void {
  it('a two-interface pcapng named capture.pcapng: one place per interface, by its if_name; the node is the one that has both', async () => {
    const tsharkFields = await fields();
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-pcapng-')), 'capture.pcapng');
    copyFileSync(join(dir(), 'two-interfaces.pcapng'), file);
    const counts = new Map<string, number>();
    for (const [name] of tsharkFields(join(dir(), 'two-interfaces.pcapng'), ['frame.interface_name'])) counts.set(name!, (counts.get(name!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['flannel.1', 'veth6b3caf45']);
    const result = await runPodpath(['explain', '--json', file, 'samples/seed-flannel']);
    const e = JSON.parse(result.stdout) as Explanation;
    expect(e.captures.map((c) => [c.at, c.interface, c.packets]).sort()).toEqual([...counts].map(([name, n]) => ['worker-1', name, n]).sort());
    for (const c of e.captures) {
      expect(c.placedBy[0]).toEqual({ by: 'pcapng-interface', text: `pcapng interface name ${c.interface} (if_name); only worker-1 has all of them` });
    }
    // The same SYNs, lined up across the file's two interfaces in kernel order.
    const journey = e.journeys.find((j) => j.sightings.length === 2);
    expect(journey?.sightings.map((s) => s.interface)).toEqual(['veth6b3caf45', 'flannel.1']);
  });

  it('a one-interface pcapng named a.pcapng: the interface by its if_name, the node by its frames', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-pcapng-')), 'a.pcapng');
    copyFileSync(join(dir(), 'one-interface.pcapng'), file);
    const e = JSON.parse((await runPodpath(['explain', '--json', file, 'samples/seed-flannel'])).stdout) as Explanation;
    expect(e.captures).toHaveLength(1);
    expect(e.captures[0]).toMatchObject({ at: 'worker-1', interface: 'flannel.1' });
    expect(e.captures[0]!.placedBy.map((p) => p.by)).toEqual(['pcapng-interface', 'mac-addresses']);
    expect(e.captures[0]!.placedBy[1]!.text).toMatch(/frames fit worker-1 flannel\.1 \(its MAC /);
  });
}

describe('pcapng recorded by dumpcap (committed)', () => {
  pcapngChecks(
    () => join(repoRoot, 'test', 'explain', 'captures'),
    async () => (await import('./tshark.ts')).tsharkFields,
  );
});

describeNeeding(['root', 'netns', 'tshark'], 'pcapng recorded afresh by dumpcap in a namespace', () => {
  let dir = '';
  const recorded = (): string => {
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), 'podpath-dumpcap-'));
      execFileSync('bash', [join(repoRoot, 'test', 'explain', 'record-pcapng.sh'), dir], { stdio: 'ignore', timeout: 60_000 });
    }
    return dir;
  };
  pcapngChecks(recorded, async () => liveFields);
});

// editcap -F pcapng writes an IDB without if_name: such a file is placed by its name.
describeNeeding(['tshark'], 'a pcapng without interface names', () => {
  it('w2-eth0.pcapng (editcap -F pcapng of worker-2 eth0): placed by its file name, the node abbreviated', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-editcap-')), 'w2-eth0.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', join(samplesDir, 'seed-flannel', 'captures', 'worker-2__eth0.pcap'), file]);
    expect(new Set(liveFields(file, ['frame.interface_name']).map((r) => r[0] ?? ''))).not.toContain('eth0');
    const e = JSON.parse((await runPodpath(['explain', '--json', file, 'samples/seed-flannel'])).stdout) as Explanation;
    expect(e.captures[0]).toMatchObject({ at: 'worker-2', interface: 'eth0' });
    expect(e.captures[0]!.placedBy).toEqual([{ by: 'file-name', text: 'file name: worker-2 eth0 (worker-2 abbreviated)' }]);
  });
});

// A REJECT rule with `--reject-with tcp-reset`, recorded from the kernel: in two namespaces of
// its own, a client with pod1's address and MAC behind a router with cni0's, whose FORWARD
// chain rejects 10.96.0.30:80 with a TCP RST; tcpdump on the client's eth0 records the SYN and
// the RST the kernel sends back. Beside seed-flannel's dumps with the same rule made
// tcp-reset (the kube-proxy rule there says icmp-port-unreachable), the connection is
// `rejected`, not `lost`: a RST came back, and the dumps' cause is the REJECT rule.
describeNeeding(['root', 'netns', 'iptables', 'tcpdump', 'tshark'], 'a SYN answered by a REJECT rule\'s RST', () => {
  it('is rejected (refusal by rst, the rule as cause), not lost', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-rst-'));
    const pod = `q14-rst-pod-${process.pid}`;
    const node = `q14-rst-node-${process.pid}`;
    const sh = (ns: string, ...cmd: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: 20_000 });
    // Alone, a pod's capture fits its eth0, its host veth and the bridge equally: its name says which.
    const capture = join(tmp, 'pod1-eth0.pcap');
    try {
      execFileSync('ip', ['netns', 'add', pod]);
      execFileSync('ip', ['netns', 'add', node]);
      for (const ns of [pod, node]) sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      sh(node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      sh(pod, 'ip', 'link', 'add', 'eth0', 'address', '6a:97:3e:20:55:e6', 'type', 'veth', 'peer', 'name', 'cni0', 'address', 'e2:b0:c7:1e:8e:7a', 'netns', node);
      sh(pod, 'ip', 'addr', 'add', '192.168.1.7/24', 'dev', 'eth0');
      sh(pod, 'ip', 'link', 'set', 'eth0', 'up');
      sh(pod, 'ip', 'route', 'add', 'default', 'via', '192.168.1.1');
      sh(node, 'ip', 'addr', 'add', '192.168.1.1/24', 'dev', 'cni0');
      sh(node, 'ip', 'link', 'set', 'cni0', 'up');
      // The underlay only needs to exist for the route lookup: a veth whose peer stays in the namespace.
      sh(node, 'ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'q14-up');
      sh(node, 'ip', 'link', 'set', 'q14-up', 'up');
      sh(node, 'ip', 'addr', 'add', '10.74.107.63/24', 'dev', 'eth0');
      sh(node, 'ip', 'link', 'set', 'eth0', 'up');
      sh(node, 'ip', 'route', 'add', 'default', 'via', '10.74.107.154');
      sh(node, 'iptables', '-A', 'FORWARD', '-d', '10.96.0.30/32', '-p', 'tcp', '--dport', '80', '-j', 'REJECT', '--reject-with', 'tcp-reset');
      const { spawn } = await import('node:child_process');
      const tcpdump = spawn('ip', ['netns', 'exec', pod, 'tcpdump', '-U', '-n', '-i', 'eth0', '-w', capture], { stdio: ['ignore', 'ignore', 'pipe'] });
      await new Promise<void>((resolve) => tcpdump.stderr.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
      const client = 'import socket\ns=socket.socket()\ns.bind(("192.168.1.7",50066))\ntry:\n  s.connect(("10.96.0.30",80))\nexcept ConnectionRefusedError:\n  print("refused")\n';
      expect(sh(pod, 'python3', '-c', client).trim()).toBe('refused');
      // tcpdump -U writes each packet as it gets it, but on a loaded machine it gets them late.
      await new Promise((r) => setTimeout(r, 1500));
      tcpdump.kill('SIGINT');
      await new Promise((r) => tcpdump.on('close', r));
    } finally {
      for (const ns of [pod, node]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
    expect(liveFields(capture, ['ip.src'], ['-Y', 'tcp.flags.reset==1'])).toEqual([['10.96.0.30']]);
    // seed-flannel's dumps, its one REJECT rule for 10.96.0.30 made tcp-reset like the recorded router's.
    const dumps = join(tmp, 'dumps');
    mkdirSync(dumps);
    for (const n of ['worker-1', 'worker-2']) execFileSync('cp', ['-r', join(samplesDir, 'seed-flannel', n), join(dumps, n)]);
    const rules = join(dumps, 'worker-1', 'iptables-save.txt');
    const text = readFileSync(rules, 'utf8');
    expect(text).toContain('-d 10.96.0.30/32 -p tcp');
    writeFileSync(rules, text.replace(/(-d 10\.96\.0\.30\/32 .*-j REJECT) --reject-with icmp-port-unreachable/, '$1 --reject-with tcp-reset'));
    const e = JSON.parse((await runPodpath(['explain', '--json', capture, dumps])).stdout) as Explanation;
    expect(e.captures[0]).toMatchObject({ at: 'pod1', interface: 'eth0' });
    const conn = e.connections.find((c) => c.client.port === 50066)!;
    expect(conn.tcp?.state).toBe('refused');
    const journey = e.journeys.find((j) => j.connection === conn.id)!;
    expect(journey.verdict).toBe('rejected');
    expect(journey.refusal?.by).toBe('rst');
    expect(journey.cause?.kind).toBe('rejected');
    expect(journey.cause?.text).toContain('--reject-with tcp-reset');
    expect(e.faultFound).toBe(true);
  }, 60_000);
});

// Linux cooked v1 (libpcap < 1.10) has no interface index: the node comes from the sender
// MACs. Made from each lab scenario's SLL2 `-i any` capture by rewriting every 20-byte SLL2
// header as the 16-byte v1 header with the same packet type, ARPHRD, address and protocol
// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, …SLL2.html); tshark reads the
// result as Linux cooked v1 with every frame kept.
function sll2ToSll1(file: string, out: string): void {
  const buf = readFileSync(file);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4 || buf.readUInt32LE(20) !== 276) throw new Error(`${file}: not a little-endian SLL2 pcap`);
  const parts: Buffer[] = [Buffer.from(buf.subarray(0, 24))];
  parts[0]!.writeUInt32LE(113, 20);
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = buf.readUInt32LE(off + 8);
    const head = Buffer.from(buf.subarray(off, off + 16));
    const sll2 = buf.subarray(off + 16, off + 36);
    const v1 = Buffer.alloc(16);
    v1.writeUInt16BE(sll2[10]!, 0); // packet type
    v1.writeUInt16BE(sll2.readUInt16BE(8), 2); // ARPHRD
    v1.writeUInt16BE(sll2[11]!, 4); // address length
    sll2.copy(v1, 6, 12, 20); // address
    v1.writeUInt16BE(sll2.readUInt16BE(0), 14); // protocol
    head.writeUInt32LE(caplen - 4, 8);
    head.writeUInt32LE(buf.readUInt32LE(off + 12) - 4, 12);
    parts.push(head, v1, buf.subarray(off + 36, off + 16 + caplen));
    off += 16 + caplen;
  }
  writeFileSync(out, Buffer.concat(parts));
}

describeNeeding(['tshark'], 'a cooked v1 capture placed by its sender MACs', () => {
  for (const scenario of scenarios) {
    if (PLACEMENT_GAPS[scenario]) {
      it.todo(`${scenario}: ${PLACEMENT_GAPS[scenario]}`);
      continue;
    }
    const any = labCaptures(scenario).find((c) => c.interface === 'any');
    // An empty capture has no sender to read (the cooked v2 group above says what podpath says of it).
    if (!any || any.empty) continue;
    it(`${scenario}: ${any.at}'s -i any capture as cooked v1, named capture.pcap`, async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'podpath-sll1-')), 'capture.pcap');
      sll2ToSll1(any.source, file);
      const original = liveFields(any.source, ['frame.number']).length;
      expect(liveFields(file, ['sll.pkttype']).filter((r) => r[0] !== '').length).toBe(original);
      const { explainFiles } = await import('../../src/explain/index.ts');
      const { loadTopology } = await import('../../src/topology/load.ts');
      const e = await explainFiles([file], await loadTopology([join(samplesDir, scenario)]));
      expect(e.captures).toHaveLength(1);
      expect(e.captures[0]).toMatchObject({ at: any.at, interface: 'any', packets: original });
      expect(e.captures[0]!.placedBy[0]!.text).toContain(`were sent by ${any.at}'s interfaces or its pods'`);
    });
  }
});

// A capture with no link layer (LINKTYPE_RAW, https://www.tcpdump.org/linktypes/LINKTYPE_RAW.html:
// each packet begins with its IP header) carries no MAC: an underlay capture can only be placed by
// its tunnels' outer addresses, the nodes' own. Made from each scenario's two eth0 captures by
// cutting the 14-byte Ethernet header off every IPv4/IPv6 frame (ARP has no raw IP form and is
// left out); tshark reads the result as raw IP with the same frames. Alone, one such capture fits
// both nodes' eth0 (one wire's two ends see the same packets) and podpath names both; with the
// other node's beside it, the packet times say which is which. The expected places are the lab's
// (captures/<node>__eth0.pcap), the outer address counts tshark's.
function ethernetToRaw(file: string, out: string): void {
  const buf = readFileSync(file);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4 || buf.readUInt32LE(20) !== 1) throw new Error(`${file}: not a little-endian Ethernet pcap`);
  const head = Buffer.from(buf.subarray(0, 24));
  head.writeUInt32LE(101, 20); // LINKTYPE_RAW
  const parts: Buffer[] = [head];
  for (let off = 24; off + 16 <= buf.length; ) {
    const caplen = buf.readUInt32LE(off + 8);
    const etherType = buf.readUInt16BE(off + 16 + 12);
    if (etherType === 0x0800 || etherType === 0x86dd) {
      const record = Buffer.from(buf.subarray(off, off + 16));
      record.writeUInt32LE(caplen - 14, 8);
      record.writeUInt32LE(buf.readUInt32LE(off + 12) - 14, 12);
      parts.push(record, buf.subarray(off + 16 + 14, off + 16 + caplen));
    }
    off += 16 + caplen;
  }
  writeFileSync(out, Buffer.concat(parts));
}

describeNeeding(['tshark'], 'an underlay capture with no link layer placed by its outer addresses', () => {
  for (const scenario of scenarios) {
    const record = JSON.parse(readFileSync(join(samplesDir, scenario, 'expected.json'), 'utf8')) as { nodes: { name: string; underlay: string }[]; vteps: { node: string; port: number }[] };
    if (record.vteps.length === 0) continue;
    const underlay = labCaptures(scenario).filter((c) => c.interface === 'eth0' && record.nodes.some((n) => n.name === c.at) && !c.empty);
    if (underlay.length !== 2) continue;
    it(`${scenario}: ${underlay.map((c) => `${c.at} eth0`).join(' and ')} as raw IP a.pcap and b.pcap`, async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'podpath-raw-'));
      const files = underlay.map((c, i) => {
        const file = join(tmp, `${'ab'[i]}.pcap`);
        ethernetToRaw(c.source, file);
        return file;
      });
      const ports = [...new Set(record.vteps.map((v) => v.port))].flatMap((port) => ['-d', `udp.port==${port},vxlan`]);
      const outer = files.map((f) => liveFields(f, ['ip.src', 'ip.dst'], [...ports, '-Y', 'vxlan']).map((r) => [r[0]!.split(',')[0], r[1]!.split(',')[0]]));
      underlay.forEach((c, i) => expect(liveFields(files[i]!, ['ip.version']).length).toBe(liveFields(c.source, ['frame.number'], ['-Y', 'ip or ipv6']).length));
      const alone = JSON.parse((await runPodpath(['explain', '--json', files[0]!, `samples/${scenario}`])).stdout) as Explanation;
      const both = await explain(files, scenario);
      if (outer[0]!.length === 0) {
        // Nothing tunnelled (bridge-order's eth0 saw a router solicitation only): nothing places it.
        expect(alone.captures[0]!.unplaced?.reason).toBe('no-evidence');
        return;
      }
      expect(alone.captures[0]!.at).toBeUndefined();
      expect(alone.captures[0]!.unplaced?.reason).toBe('ambiguous');
      for (const c of underlay) expect(alone.captures[0]!.unplaced!.text).toContain(`${c.at} eth0`);
      underlay.forEach((c, i) => {
        const part = both.captures.find((x) => x.file === files[i])!;
        expect(`${part.at} ${part.interface}`).toBe(`${c.at} eth0`);
        expect(part.placedBy.map((b) => b.by)).toEqual(['outer-addresses', 'timing']);
        const address = record.nodes.find((n) => n.name === c.at)!.underlay;
        const from = outer[i]!.filter((r) => r[0] === address).length;
        const to = outer[i]!.filter((r) => r[1] === address).length;
        expect(part.placedBy[0]!.text).toContain(`${from + to} of `);
        expect(part.placedBy[0]!.text).toContain(`packets with ${c.at} eth0's address ${address} as outer source on ${from} and as outer destination on ${to}`);
      });
    });
  }
});

// pcapng as dumpcap writes it, on every lab scenario: test/explain/record-pcapng-scenario.sh
// gives each node and pod a namespace of its own with interfaces of the lab's names, and sends
// the frames of the lab's captures of them into those interfaces, in their recorded order, under
// `dumpcap -i <each>`. One pcapng per namespace, renamed capture-1.pcapng, capture-2.pcapng, …
// so only its interface data (and, for a pod's lone eth0, its frames) can place it. The expected
// places are the lab's (captures/<at>__<iface>.pcap), the per-interface counts tshark's; the
// journeys and faults must be those of the same files placed with --at FILE=NODE.
describeNeeding(['root', 'netns', 'tshark'], 'pcapng recorded afresh by dumpcap, one per namespace, on every lab scenario', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: every namespace's pcapng as capture-N.pcapng, each interface placed by its if_name`, async () => {
      const recorded = mkdtempSync(join(tmpdir(), 'podpath-dumpcap-'));
      execFileSync('bash', [join(repoRoot, 'test', 'explain', 'record-pcapng-scenario.sh'), scenario, recorded], { stdio: 'ignore', timeout: 120_000 });
      const lab = labCaptures(scenario).filter((c) => !c.empty && c.interface !== 'any');
      const namespaces = [...new Set(lab.map((c) => c.at))].sort();
      expect(readdirSync(recorded).sort()).toEqual(namespaces.map((at) => `${at}.pcapng`).sort());
      const tmp = mkdtempSync(join(tmpdir(), 'podpath-ng-'));
      const files = namespaces.map((at, i) => {
        const file = join(tmp, `capture-${i + 1}.pcapng`);
        copyFileSync(join(recorded, `${at}.pcapng`), file);
        return file;
      });
      const e = await explain(files, scenario);
      const got = e.captures.map((c) => `${c.at} ${c.interface}`).sort();
      expect(got).toEqual(lab.map((c) => `${c.at} ${c.interface}`).sort());
      namespaces.forEach((at, i) => {
        const counts = new Map<string, number>();
        for (const [name] of liveFields(files[i]!, ['frame.interface_name'])) counts.set(name!, (counts.get(name!) ?? 0) + 1);
        for (const part of e.captures.filter((c) => c.file === files[i])) {
          expect(part.at, files[i]).toBe(at);
          expect(part.packets, `${at} ${part.interface}`).toBe(counts.get(part.interface!));
          expect(part.placedBy[0]!.by).toBe('pcapng-interface');
        }
      });
      const withAt = await explain(files, scenario, Object.fromEntries(files.map((f, i) => [f, { at: namespaces[i]! }])));
      expect(outcome(e)).toEqual(outcome(withAt));
    }, 180_000);
  }
});

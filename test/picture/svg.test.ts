// Every lab connection drawn as SVG, Mermaid and dot, checked against what the kernel
// recorded (samples/*/expected.json): each device where tcpdump saw the first packet is a
// box on the path, the arrow into it carries the addresses the kernel saw there, a DNAT the
// kernel did is marked with the endpoint it chose, and the ending's colour says whether the
// connection was delivered. The SVG must be well-formed XML (fast-xml-parser's validator).
import { spawnSync } from 'node:child_process';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../src/picture/svg.ts';
import { renderDot, renderMermaid } from '../../src/picture/text-formats.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { runPodpath } from '../helpers/run.ts';
import { labConnections, pictureFor, traceArgs } from './lab-journeys.ts';

const connections = labConnections();

interface SvgElement {
  [key: string]: unknown;
}

/** Every element of the parsed SVG with its attributes ('@_x') and children, depth first. */
function elements(node: unknown, out: SvgElement[] = []): SvgElement[] {
  if (Array.isArray(node)) for (const n of node) elements(n, out);
  else if (node !== null && typeof node === 'object') {
    out.push(node as SvgElement);
    for (const [key, value] of Object.entries(node)) if (!key.startsWith('@_')) elements(value, out);
  }
  return out;
}

const textOf = (node: unknown): string[] =>
  elements(node).flatMap((e) => (typeof e['text'] === 'string' || typeof e['text'] === 'number' ? [String(e['text'])] : Array.isArray(e['text']) ? e['text'].map((t: unknown) => (typeof t === 'object' && t !== null ? String((t as SvgElement)['#text'] ?? '') : String(t))) : []));

const deviceId = (s: { at: string; interface: string }): RegExp =>
  new RegExp(`^(pod|node):${s.at.replace(/[.]/g, '\\.')}/${s.interface.replace(/[.]/g, '\\.')}$`);

describe('trace --format svg on every lab connection', () => {
  for (const c of connections) {
    it(`${c.scenario} ${c.id} (${c.outcome})`, async () => {
      const svg = await renderSvg(await pictureFor(c));
      expect(XMLValidator.validate(svg)).toBe(true);
      const parsed = new XMLParser({ ignoreAttributes: false, preserveOrder: false }).parse(svg) as SvgElement;
      const all = elements(parsed);
      const devices = all.filter((e) => typeof e['@_data-device'] === 'string');
      const onPath = devices.filter((d) => d['@_data-state'] === 'on-path').map((d) => String(d['@_data-device']));
      for (const s of c.sightings) {
        expect(onPath.some((id) => deviceId(s).test(id)), `${s.at} ${s.interface} drawn on the path`).toBe(true);
      }
      // The arrow labels hold the packet as the kernel saw it at each device after the first.
      const labels = all.filter((e) => e['@_class'] === 'arrow-label').map((e) => textOf(e).join('\n'));
      for (const s of c.sightings.slice(1)) {
        expect(labels.some((l) => l.includes(`${s.src}`) && l.includes(`→ ${s.dst}:${s.dport}`)), `${s.src} → ${s.dst}:${s.dport} at ${s.at} ${s.interface}`).toBe(true);
      }
      const first = c.sightings[0]!;
      const rewritten = c.sightings.find((s) => s.dst !== first.dst);
      if (rewritten) expect(labels.some((l) => /DNAT at \S+ (PREROUTING|OUTPUT)\b/.test(l) && l.includes(`→ ${rewritten.dst}`))).toBe(true);
      const tones = all.filter((e) => typeof e['@_data-tone'] === 'string').map((e) => e['@_data-tone']);
      expect(tones.length).toBeGreaterThan(0);
      if (c.outcome === 'delivered') expect(tones).toContain('success');
      else expect(tones).not.toContain('success');
      // Self-contained: nothing fetched, nothing run.
      expect(svg).not.toMatch(/<script|href="http|@import|url\(http/i);
    });
  }
});

describe('trace --format mermaid and dot on every lab connection', () => {
  for (const c of connections) {
    it(`${c.scenario} ${c.id}`, async () => {
      const picture = await pictureFor(c);
      const mermaid = renderMermaid(picture);
      const dot = renderDot(picture);
      expect(mermaid.startsWith('flowchart TD\n')).toBe(true);
      for (const s of c.sightings) {
        expect(mermaid).toContain(`["${s.interface}`);
        expect(dot).toContain(`label="${s.interface}`);
      }
      const rewritten = c.sightings.find((s) => s.dst !== c.sightings[0]!.dst);
      if (rewritten) {
        expect(mermaid).toMatch(new RegExp(`DNAT at \\S+ (PREROUTING|OUTPUT)[^"]*→ ${rewritten.dst.replace(/\./g, '\\.')}`));
        expect(dot).toMatch(new RegExp(`DNAT at \\S+ (PREROUTING|OUTPUT)[^"]*→ ${rewritten.dst.replace(/\./g, '\\.')}`));
      }
    });
  }
});

describeNeeding(['graphviz'], 'Graphviz reads the dot output', () => {
  it('dot -Tsvg accepts every lab connection\'s graph', async () => {
    for (const c of connections) {
      const run = spawnSync('dot', ['-Tsvg'], { input: renderDot(await pictureFor(c)), encoding: 'utf8' });
      expect(run.stderr, `${c.scenario} ${c.id}`).toBe('');
      expect(run.status).toBe(0);
      expect(XMLValidator.validate(run.stdout)).toBe(true);
    }
  });
});

describe('through the CLI', () => {
  const seed = connections.find((c) => c.scenario === 'seed-flannel' && c.id === 'pod1-to-web')!;
  it('trace --format svg prints one SVG document and keeps the trace\'s exit status', async () => {
    const run = await runPodpath(['trace', ...traceArgs(seed), '--format', 'svg']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(XMLValidator.validate(run.stdout)).toBe(true);
  });
  it('a failing path still draws, and exits 1', async () => {
    const fault = connections.find((c) => c.scenario === 'fault-fdb-missing')!;
    const run = await runPodpath(['trace', ...traceArgs(fault), '--format', 'mermaid']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/:::failure/);
  });
  it('an unknown format and --json beside a picture format are usage errors', async () => {
    const bad = await runPodpath(['trace', ...traceArgs(seed), '--format', 'png']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('podpath: --format png: expected one of text, json, svg, mermaid, dot\n');
    const both = await runPodpath(['trace', ...traceArgs(seed), '--format', 'svg', '--json']);
    expect(both.status).toBe(2);
  });
});

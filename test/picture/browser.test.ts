// What podpath writes for people, opened in a real browser (Debian's chromium): the report
// loads with no console error and no request, its hop list and verdicts read back from the
// DOM match `podpath trace --json`, a hostile dump runs no script, every lab connection's
// Mermaid text is accepted by Mermaid's own parser, and the SVGs render as images.
import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TraceResult } from '../../src/trace/model.ts';
import type { Explanation } from '../../src/explain/model.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { launchChromium, watchedPage } from '../helpers/browser.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { labConnections, pictureFor } from './lab-journeys.ts';
import { renderMermaid } from '../../src/picture/text-formats.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-report-'));
const seedArgs = ['samples/seed-flannel', '--from', 'pod1', '--to', 'default/web', '--sport', '50060'];
const seedCapture = 'samples/seed-flannel/captures/worker-2__eth0.pcap';

describeNeeding(['chromium'], 'the report and the pictures in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the seed report opens offline with no console error, and its hops and verdicts are the trace\'s', async () => {
    const file = join(work, 'seed.html');
    const made = await runPodpath(['report', ...seedArgs, '--capture', seedCapture, '-o', file]);
    expect(made.stderr).toBe('');
    const trace = JSON.parse((await runPodpath(['trace', ...seedArgs, '--json'])).stdout) as TraceResult;
    const explained = await runPodpath(['explain', seedCapture, 'samples/seed-flannel', '--json']);
    const explanation = JSON.parse(explained.stdout) as Explanation;
    expect(made.status).toBe(trace.paths.every((p) => p.disposition === 'delivered') && !explanation.faultFound ? 0 : 1);

    const url = pathToFileURL(file).href;
    const { page, errors, requests, dialogs } = await watchedPage(browser, [url]);
    await page.goto(url);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
    const paths = await page.$$eval('section[data-path]', (sections) =>
      sections.map((s) => ({
        disposition: s.getAttribute('data-disposition'),
        verdict: s.querySelector('[data-verdict]')?.textContent,
        hops: [...s.querySelectorAll('tr[data-hop]')].map((r) => ({ at: r.getAttribute('data-at'), interface: r.getAttribute('data-interface') })),
      })),
    );
    expect(paths).toEqual(
      trace.paths.map((p) => ({ disposition: p.disposition, verdict: p.disposition.toUpperCase(), hops: p.hops.map((h) => ({ at: h.at, interface: h.interface })) })),
    );
    const journeys = await page.$$eval('[data-journey]', (items) => items.map((i) => [i.getAttribute('data-journey'), i.getAttribute('data-journey-verdict')]));
    expect(journeys).toEqual(explanation.journeys.map((j) => [j.connection, j.verdict]));
    expect(await page.getAttribute('#explain-verdict', 'data-fault')).toBe(String(explanation.faultFound));
    // The diagrams are images that decode (a broken SVG has naturalWidth 0).
    const widths = await page.$$eval('img.diagram', (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths.length).toBeGreaterThan(0);
    for (const w of widths) expect(w).toBeGreaterThan(100);
    await page.screenshot({ path: join(work, 'seed-report.png'), fullPage: true });
  });

  it('a hostile dump (pod named <img onerror>, rule comment closing </script>) runs nothing in the report', async () => {
    const bundle = join(work, 'hostile');
    cpSync(join(repoRoot, 'samples/seed-flannel'), bundle, { recursive: true, filter: (src) => !src.includes('captures') });
    const evil = '<img src=x onerror=alert(1)>';
    renameSync(join(bundle, 'worker-1/pods/pod1'), join(bundle, 'worker-1/pods', evil));
    const rules = join(bundle, 'worker-1/iptables-save.txt');
    const comment = '"kubernetes service portals</script><script>alert(2)</script>"';
    writeFileSync(rules, readFileSync(rules, 'utf8').replace('"kubernetes service portals"', comment));
    const file = join(work, 'hostile.html');
    const made = await runPodpath(['report', bundle, '--from', evil, '--to', 'default/web', '-o', file]);
    expect(made.stderr).toBe('');
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');

    const url = pathToFileURL(file).href;
    const { page, errors, requests, dialogs } = await watchedPage(browser, [url]);
    await page.goto(url);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    const images = await page.$$eval('img', (imgs) => imgs.map((i) => i.className));
    expect(images.every((c) => c === 'diagram')).toBe(true);
    const text = await page.textContent('body');
    expect(text).toContain(evil);
    expect(text).toContain('</script><script>alert(2)</script>');
  });

  it('Mermaid\'s own parser accepts every lab connection\'s diagram', async () => {
    const { page, errors } = await watchedPage(browser, []);
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ path: join(repoRoot, 'node_modules/mermaid/dist/mermaid.min.js') });
    for (const c of labConnections()) {
      const text = renderMermaid(await pictureFor(c));
      const parsed = await page.evaluate(async (text) => {
        const m = (globalThis as unknown as { mermaid: { parse(t: string): Promise<{ diagramType: string } | false> } }).mermaid;
        try {
          const r = await m.parse(text);
          return r === false ? 'rejected' : r.diagramType;
        } catch (error) {
          return `error: ${String(error)}`;
        }
      }, text);
      expect(parsed, `${c.scenario} ${c.id}`).toMatch(/^flowchart/);
    }
    expect(errors).toEqual([]);
  }, 120_000);
});

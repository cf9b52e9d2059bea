// Every real capture and dump in the corpus goes through the explainer without a crash:
// only podpath's own errors (one line at the CLI) may come out, never a TypeError.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PodpathError } from '../../src/errors.ts';
import { explainFiles } from '../../src/explain/index.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { corpusDir } from '../helpers/shared.ts';

const CORPUS = `${corpusDir}`;

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, pattern) : pattern.test(name) ? [path] : [];
  });
}

/** True when it ran through, false when it stopped with one of podpath's own errors; anything else fails. */
async function survives(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(PodpathError);
    return false;
  }
}

describe('the explainer on every corpus file', () => {
  const captures = filesUnder(CORPUS, /\.(pcap|pcapng)$/);
  it(`explains each of the ${captures.length} corpus captures alone`, async () => {
    expect(captures.length).toBeGreaterThan(30);
    let explained = 0;
    for (const file of captures) {
      if (await survives(async () => {
        const e = await explainFiles([file]);
        expect(e.captures[0]!.file).toBe(file);
        // Each packet is in a connection, an ICMP error, or counted as other.
        expect(e.captures[0]!.packets).toBeGreaterThan(0);
      })) explained++;
    }
    // The corpus holds no unreadable capture: every one is explained.
    expect(explained).toBe(captures.length);
  });

  it('explains VXLAN captures beside every corpus dump', async () => {
    const dumps = filesUnder(join(CORPUS), /\.txt$/).filter((f) => !/SOURCES|CHECKS/.test(f));
    const vxlan = [`${CORPUS}/vxlan/tcpdump_vxlan_port_8472.pcap`, `${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`];
    let explained = 0;
    for (const dump of dumps) {
      if (await survives(async () => {
        const topology = await loadTopology([dump], { node: 'node-1' });
        await explainFiles(vxlan, topology);
      })) explained++;
    }
    expect(explained).toBeGreaterThan(dumps.length / 2);
  });
});

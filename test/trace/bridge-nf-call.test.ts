// net.bridge.bridge-nf-call-iptables as dumped. br_netfilter hands bridged IPv4 frames to
// iptables only when it is 1 (net/bridge/br_netfilter_hooks.c: br_nf_pre_routing and
// br_nf_forward_ip return NF_ACCEPT when brnf_call_iptables is off). samples/fault-forward-drop
// has worker-1's filter FORWARD policy DROP (its iptables-save line 4, ":FORWARD DROP"): pod1 →
// web-a, both on cni0, is dropped in FORWARD when the bridge calls iptables, and bridged past
// it when the sysctl dump says 0.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const SAMPLE = join(repoRoot, 'samples/fault-forward-drop');
const dir = mkdtempSync(join(tmpdir(), 'podpath-brnf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundleWith(name: string, sysctl: string | undefined): string {
  const bundle = join(dir, name);
  for (const node of ['worker-1', 'worker-2']) cpSync(join(SAMPLE, node), join(bundle, node), { recursive: true });
  if (sysctl !== undefined) writeFileSync(join(bundle, 'worker-1', 'sysctl.txt'), sysctl);
  return bundle;
}

// pod1 192.168.1.7 and web-a 192.168.1.5, both on worker-1's cni0 (the sample's README).
const trace = (bundle: string, ...more: string[]) => runPodpath(['trace', bundle, '--from', 'pod1', '--to', '192.168.1.5:80', ...more]);

describe('bridge-nf-call-iptables: assumed only when not dumped', () => {
  it('the sample really has FORWARD policy DROP on worker-1', () => {
    expect(readFileSync(join(SAMPLE, 'worker-1/iptables-save.txt'), 'utf8').split('\n')[3]).toBe(':FORWARD DROP [0:0]');
  });

  it('not dumped: the note says it is assumed, and the bridged frame meets FORWARD DROP (exit 1)', async () => {
    const run = await trace(bundleWith('absent', undefined), '-v');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('podpath assumes net.bridge.bridge-nf-call-iptables=1');
    expect(run.stdout).toMatch(/filter FORWARD policy DROP/);
  });

  it('dumped as 1 (sysctl -a format): no assumption said, the same drop', async () => {
    const run = await trace(bundleWith('one', 'net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n'), '-v');
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('assumes net.bridge.bridge-nf-call-iptables');
    expect(run.stdout).toMatch(/filter FORWARD policy DROP/);
  });

  it('dumped as 0: the bridged frame skips iptables and reaches web-a (exit 0), with no netfilter step on worker-1', async () => {
    const bundle = bundleWith('zero', 'net.bridge.bridge-nf-call-iptables = 0\nnet.ipv4.ip_forward = 1\n');
    const text = await trace(bundle, '-v');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('net.bridge.bridge-nf-call-iptables = 0 in its sysctl dump');
    expect(text.stdout).not.toContain('assumes net.bridge');
    const json = JSON.parse((await trace(bundle, '--json')).stdout) as { paths: { disposition: string; hops: { at: string; steps: { type: string }[] }[] }[] };
    expect(json.paths.map((p) => p.disposition)).toEqual(['delivered']);
    const worker1Steps = json.paths[0]!.hops.filter((h) => h.at === 'worker-1').flatMap((h) => h.steps.map((s) => s.type));
    expect(worker1Steps).toContain('bridge');
    expect(worker1Steps).not.toContain('netfilter');
  });
});

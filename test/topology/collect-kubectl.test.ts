// `podpath collect` and kubectl: with kubectl on PATH the script writes kubectl's JSON/YAML into
// the bundle under the names its notes give, and `podpath topology` reads them back; without it
// the notes ask for the same files by the same names. The kubectl here is a stand-in on PATH that
// prints test/trace/kubectl-json/'s files for exactly the commands the notes name (any other
// command fails, so a renamed command fails the test). The node's own dumps are this machine's,
// read-only (`ip addr`, `ip route` …); no namespace is entered (PODPATH_NETNS names none that
// exists); they are then replaced by the calico-policy sample's nodes for the reading back.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const BASH = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
const fixtures = join(repoRoot, 'test', 'trace', 'kubectl-json');
const work = mkdtempSync(join(tmpdir(), 'podpath-collect-kubectl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The `kubectl … > FILE` lines the notes print without kubectl, as [command, file]. */
function askedFor(notes: string): [string, string][] {
  return [...notes.matchAll(/^\s+(kubectl [^>\n]+?) > (\S+)$/gm)].map((m) => [m[1]!, m[2]!]);
}

function runScript(script: string, out: string, path: string): { status: number | null; stderr: string } {
  const file = join(work, 'collect.sh');
  writeFileSync(file, script);
  const said = spawnSync(BASH, [file, out], { env: { ...process.env, PATH: path, PODPATH_NODE: 'worker-1', PODPATH_NETNS: 'podpath-no-such-netns' }, encoding: 'utf8' });
  return { status: said.status, stderr: said.stderr };
}

describe('podpath collect asks for kubectl JSON by the names the bundle reader reads', () => {
  it('without kubectl the notes ask for pods, svc+endpointslices, ns as JSON and policies as YAML', async () => {
    const printed = await runPodpath(['collect']);
    const bin = join(work, 'empty-bin');
    spawnSync('mkdir', ['-p', bin]);
    // Only the tools the script needs to run at all; no kubectl among them.
    for (const tool of ['cat', 'sed', 'ip', 'hostname', 'mkdir', 'mv', 'rm', 'rmdir', 'awk', 'tr', 'grep', 'sysctl', 'bridge']) {
      const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (where) writeFileSync(join(bin, tool), `#!/bin/sh\nexec ${where} "$@"\n`), chmodSync(join(bin, tool), 0o755);
    }
    const said = runScript(printed.stdout, join(work, 'no-kubectl'), `${bin}`);
    expect(said.status, said.stderr).toBe(0);
    expect(askedFor(said.stderr)).toEqual([
      ['kubectl get pods -A -o json', 'kubectl-pods.json'],
      ['kubectl get svc,endpointslices -A -o json', 'kubectl-svc-endpointslices.json'],
      ['kubectl get ns -o json', 'kubectl-ns.json'],
      ['kubectl get networkpolicy -A -o yaml', 'kubectl-networkpolicy.yaml'],
    ]);
  });

  it('with kubectl the script writes those files, and topology reads the pods, the service port and the policies from them', async () => {
    const printed = await runPodpath(['collect']);
    const asked = [...printed.stdout.matchAll(/^\s*echo " +(kubectl [^>"\n]+?) > (\S+)" >&2$/gm)].map((m): [string, string] => [m[1]!, m[2]!]);
    expect(asked.length).toBe(4);
    const bin = join(work, 'kubectl-bin');
    spawnSync('mkdir', ['-p', bin]);
    const ns = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default', team: 'shop' } } }] }, null, 4);
    writeFileSync(join(work, 'ns.json'), `${ns}\n`);
    const answers: Record<string, string> = {
      'kubectl get pods -A -o json': join(fixtures, 'pods.json'),
      'kubectl get svc,endpointslices -A -o json': join(fixtures, 'svc-endpointslices.json'),
      'kubectl get ns -o json': join(work, 'ns.json'),
      'kubectl get networkpolicy -A -o yaml': join(fixtures, 'networkpolicy-named-port.yaml'),
    };
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\ncase "kubectl $*" in\n${Object.entries(answers).map(([cmd, file]) => `  "${cmd}") cat '${file}' ;;\n`).join('')}  *) exit 1 ;;\nesac\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    const out = join(work, 'bundle');
    const said = runScript(printed.stdout, out, `${bin}:${process.env['PATH'] ?? ''}`);
    expect(said.status, said.stderr).toBe(0);
    expect(said.stderr).toContain('podpath: kubectl works here');
    // Every file the notes would ask for is written, byte for byte what kubectl printed.
    for (const [cmd, file] of asked) expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(answers[cmd]!, 'utf8'));
    expect(readdirSync(out)).toEqual(expect.arrayContaining(asked.map(([, file]) => file)));

    // This machine's own dumps are whatever it is (a container looks like a pod): the node folders
    // are the calico-policy sample's, beside the kubectl files the script wrote.
    rmSync(join(out, 'worker-1'), { recursive: true, force: true });
    for (const node of ['worker-1', 'worker-2']) cpSync(join(repoRoot, 'samples', 'calico-policy', node), join(out, node), { recursive: true });
    const run = await runPodpath(['topology', out, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const topology = JSON.parse(run.stdout) as { pods: { name: string; namespace?: string; containerPorts?: unknown[] }[]; networkPolicies: { name: string }[]; namespaces?: { name: string; labels: Record<string, string> }[] };
    const items = (JSON.parse(readFileSync(answers['kubectl get pods -A -o json']!, 'utf8')) as { items: { metadata: { name: string } }[] }).items;
    expect(topology.pods.map((p) => p.name)).toEqual(expect.arrayContaining(items.map((i) => i.metadata.name)));
    expect(topology.pods.find((p) => p.name === 'web-b')?.containerPorts).toEqual([{ name: 'http', port: 80, protocol: 'tcp' }]);
    expect(topology.networkPolicies.map((p) => p.name)).toEqual(['deny-all-incoming', 'allow-client-to-web', 'deny-egress-locked']);
    expect(topology.namespaces).toEqual([expect.objectContaining({ name: 'default', labels: { 'kubernetes.io/metadata.name': 'default', team: 'shop' } })]);
  });
});

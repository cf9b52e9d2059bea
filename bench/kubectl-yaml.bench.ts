// `npm run bench kubectl`: podpath reading `kubectl get pods -A -o yaml` of a big cluster
// (10,000 pods by default; PODPATH_BENCH_PODS to change) beside PyYAML's C loader (libyaml)
// reading the same file, in one run. The List is written here as kubectl writes one (its
// entries at column 0, the fields a running Deployment's pod has), next to a node's dumps
// (seed-flannel's worker-1), and podpath runs by its shebang as the installed command does.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..');
const ROUNDS = 3;

/** One pod as `kubectl get pods -o yaml` writes it (its entry in the List, at column 0). */
function podYaml(i: number): string {
  const app = `web-${i % 100}`;
  const node = i % 50;
  const ip = `10.244.${node}.${(Math.floor(i / 50) % 250) + 2}`;
  return `- apiVersion: v1
  kind: Pod
  metadata:
    creationTimestamp: "2026-11-01T10:00:00Z"
    generateName: ${app}-7d9f8b6c5-
    labels:
      app: ${app}
      pod-template-hash: 7d9f8b6c5
    name: ${app}-7d9f8b6c5-${String(i).padStart(5, '0')}
    namespace: ns${i % 20}
    ownerReferences:
    - apiVersion: apps/v1
      blockOwnerDeletion: true
      controller: true
      kind: ReplicaSet
      name: ${app}-7d9f8b6c5
      uid: 0f0e0d0c-${String(i).padStart(4, '0')}-4b3a-9f8e-7d6c5b4a3928
    resourceVersion: "${100000 + i}"
    uid: 1a2b3c4d-${String(i).padStart(4, '0')}-4e5f-8a9b-0c1d2e3f4a5b
  spec:
    containers:
    - image: nginx:1.27
      imagePullPolicy: IfNotPresent
      name: web
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      resources: {}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    nodeName: worker-${node}
    restartPolicy: Always
    schedulerName: default-scheduler
    serviceAccountName: default
  status:
    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2026-11-01T10:00:05Z"
      status: "True"
      type: Ready
    hostIP: 10.0.0.${node + 10}
    phase: Running
    podIP: ${ip}
    podIPs:
    - ip: ${ip}
    qosClass: BestEffort
    startTime: "2026-11-01T10:00:00Z"
`;
}

interface Timed {
  ms: number;
  cpuMs: number;
  maxRssMB: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

function timed(command: string, args: string[]): Timed {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', 'PKTIME %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - started;
  const match = /PKTIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr ?? '');
  return {
    ms,
    cpuMs: match ? (Number(match[1]) + Number(match[2])) * 1000 : NaN,
    maxRssMB: match ? Number(match[3]) / 1024 : NaN,
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: (result.stderr ?? '').replace(/PKTIME .*\s*$/, ''),
  };
}

function median(runs: Timed[]): Timed {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function run(_args: string[]): Promise<void> {
  const pods = Number(process.env['PODPATH_BENCH_PODS'] ?? 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-yaml-'));
  try {
    const parts = ['apiVersion: v1\nitems:\n'];
    for (let i = 0; i < pods; i++) parts.push(podYaml(i));
    parts.push('kind: List\nmetadata:\n  resourceVersion: ""\n');
    const yamlFile = join(dir, 'pods.yaml');
    writeFileSync(yamlFile, parts.join(''));
    cpSync(join(repoRoot, 'samples', 'seed-flannel', 'worker-1'), join(dir, 'worker-1'), { recursive: true });
    const size = parts.reduce((n, p) => n + p.length, 0) / 1e6;
    console.log(`machine: load average ${loadavg()[0]!.toFixed(1)}; input: kubectl get pods -o yaml of ${pods.toLocaleString('en')} pods, ${size.toFixed(1)} MB, beside seed-flannel's worker-1 dumps`);

    const podpath = join(repoRoot, 'bin', 'podpath.js');
    const ours: Timed[] = [];
    const peer: Timed[] = [];
    const python = spawnSync('python3', ['-c', 'import yaml; print(yaml.__with_libyaml__)'], { encoding: 'utf8' });
    const hasPeer = python.status === 0 && python.stdout.trim() === 'True';
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(timed(podpath, ['topology', '--json', join(dir, 'worker-1'), yamlFile]));
      if (hasPeer) peer.push(timed('python3', ['-c', 'import sys, yaml; d = yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader); print(len(d["items"]))', yamlFile]));
    }
    const m = median(ours);
    if (m.status !== 0) throw new Error(`podpath topology failed: ${m.stderr.trim().split('\n')[0]}`);
    const read = (JSON.parse(m.stdout) as { pods: unknown[] }).pods.length;
    console.log(`podpath topology --json (node dumps + the pods' YAML): ${seconds(m.ms)} median of ${ours.map((o) => seconds(o.ms)).join(', ')}; CPU ${seconds(m.cpuMs)}, peak RSS ${m.maxRssMB.toFixed(0)} MB; ${read} pods in the model`);
    if (!hasPeer) {
      console.log('PyYAML with libyaml: not installed (python3 -c "import yaml" with yaml.__with_libyaml__): no peer row');
      return;
    }
    const p = median(peer);
    console.log(`python3 yaml.load(CSafeLoader) of the same file: ${seconds(p.ms)} median of ${peer.map((o) => seconds(o.ms)).join(', ')}; CPU ${seconds(p.cpuMs)}, peak RSS ${p.maxRssMB.toFixed(0)} MB (${p.stdout.trim()} items)`);
    console.log(`ratio podpath / PyYAML C loader: wall ${(m.ms / p.ms).toFixed(2)}, memory ${(m.maxRssMB / p.maxRssMB).toFixed(2)} (below 1: podpath faster, smaller)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

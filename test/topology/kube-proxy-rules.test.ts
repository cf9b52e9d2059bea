// The lab's kube-proxy rules generator (test/lab/kube-proxy-rules.ts): its output
// must be accepted by the real iptables-restore, and what iptables-save prints back
// must carry the chain names and probabilities kube-proxy would have written.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot } from '../helpers/run.ts';
import { checkSpec, kubeProxyRestoreInput, syntheticSpec, SpecError, type KubeProxySpec } from '../lab/kube-proxy-rules.ts';

const spec: KubeProxySpec = {
  clusterCIDR: '192.168.0.0/16',
  services: [
    {
      namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePort: 30080,
      endpoints: [{ ip: '192.168.2.12', port: 80 }],
    },
    {
      namespace: 'default', name: 'multi', clusterIP: '10.96.0.12', port: 8080, protocol: 'tcp', sessionAffinitySeconds: 10800,
      endpoints: [{ ip: '192.168.1.7', port: 80 }, { ip: '192.168.2.12', port: 80 }, { ip: '192.168.2.13', port: 80 }],
    },
    { namespace: 'default', name: 'empty', portName: 'http', clusterIP: '10.96.0.11', port: 80, protocol: 'tcp', nodePort: 30081, endpoints: [] },
    {
      namespace: 'kube-system', name: 'kube-dns', portName: 'dns', clusterIP: '10.96.0.53', port: 53, protocol: 'udp',
      endpoints: [{ ip: '192.168.1.3', port: 53 }, { ip: '192.168.2.3', port: 53 }],
    },
  ],
};

const namespace = `pk-gen-${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), 'pk-gen-'));
let namespaceCreated = false;

function inNamespace(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  if (!namespaceCreated) {
    execFileSync('ip', ['netns', 'add', namespace]);
    namespaceCreated = true;
  }
  const result = spawnSync('ip', ['netns', 'exec', namespace, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  if (namespaceCreated) spawnSync('ip', ['netns', 'del', namespace]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('kube-proxy rules generator', () => {
  it('drops per-endpoint comments in large cluster mode, like kube-proxy above 1000 endpoints', () => {
    const big = syntheticSpec(501, 2); // 1002 endpoints
    const text = kubeProxyRestoreInput(big);
    expect(text).not.toContain(' -> 10.244.');
    expect(text).toContain('"ns0/svc-0:http cluster IP"');
    const small = kubeProxyRestoreInput(syntheticSpec(500, 2)); // exactly 1000: comments kept
    expect(small).toContain('"ns0/svc-0:http -> 10.244.0.2:8080"');
  });

  it('runs as a script: SPEC.json in, restore input out; a bad spec is one line on stderr', () => {
    const file = join(scratch, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const ok = spawnSync(process.execPath, ['bin/run-ts.js', 'test/lab/kube-proxy-rules.ts', file], { cwd: repoRoot, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(kubeProxyRestoreInput(spec));

    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ clusterCIDR: '192.168.0.0/16', services: [{ ...spec.services[0], clusterIP: '10.96.0' }] }));
    const fail = spawnSync(process.execPath, ['bin/run-ts.js', 'test/lab/kube-proxy-rules.ts', bad], { cwd: repoRoot, encoding: 'utf8' });
    expect(fail.status).toBe(1);
    expect(fail.stderr.trim()).toBe(`${bad}: services[0].clusterIP: expected an IPv4 address`);
  });

  it('rejects specs that kube-proxy could not have been given', () => {
    expect(() => checkSpec({ clusterCIDR: '10.0.0.0/33', services: [] })).toThrow(SpecError);
    expect(() => checkSpec({ clusterCIDR: '10.0.0.0/8', services: [{ ...spec.services[0], protocol: 'icmp' }] })).toThrow(/protocol/);
    expect(() => checkSpec({ clusterCIDR: '10.0.0.0/8', services: [spec.services[0], spec.services[0]] })).toThrow(/twice/);
  });
});

describeNeeding(['netns', 'iptables'], 'kube-proxy rules through the kernel (iptables-restore in a namespace)', () => {
  const rules = kubeProxyRestoreInput(spec);

  it('is accepted by iptables-restore --test', () => {
    const result = inNamespace(['iptables-restore', '--test'], rules);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('round-trips through the kernel: iptables-save shows kube-proxy rule shapes', () => {
    const load = inNamespace(['iptables-restore'], rules);
    expect(load.status).toBe(0);
    const saved = inNamespace(['iptables-save']).stdout;
    // The chain of kube-system/kube-dns:dns over UDP has the same name in the Gravity
    // cluster's real dump (gravity_kube-proxy-iptables-save-grep.txt line 41).
    expect(saved).toContain(
      '-A KUBE-SERVICES -d 10.96.0.53/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
    );
    // 1/3 written as 0.3333333333 comes back as the kernel's fixed point 0.33333333349,
    // the value tkng_kube-proxy-nodeport.txt shows for its first of three endpoints.
    expect(saved).toMatch(/-A KUBE-SVC-\S+ -m comment --comment "default\/multi -> 192\.168\.1\.7:80" -m statistic --mode random --probability 0\.33333333349 -j KUBE-SEP-/);
    expect(saved).toContain('--probability 0.50000000000');
    expect(saved).toContain(
      '-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(saved).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    expect(saved).toMatch(/-A KUBE-NODEPORTS -p tcp -m comment --comment "default\/web:http" -m tcp --dport 30080 -j KUBE-EXT-/);
    expect(saved).toMatch(/-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-\S+ --mask 255\.255\.255\.255 --rsource/);
    // No nat chains for a service without endpoints.
    expect(saved).not.toContain('default/empty:http cluster IP');
  });

  it('generates a benchmark-sized cluster that iptables-restore accepts', () => {
    const text = kubeProxyRestoreInput(syntheticSpec(300, 3));
    const result = inNamespace(['iptables-restore', '--test'], text);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

// kube-proxy (iptables mode) on every node: the rules come from test/lab/kube-proxy-rules.ts,
// run as a separate program exactly as its header documents, and are loaded with
// `iptables-restore --noflush` inside each node namespace (nft backend).
// kube-proxy's rules go in before the CNI's: kube-proxy inserts its jumps at the top of
// the built-in chains (EnsureRule Prepend) while flanneld appends, so on a real node the
// KUBE-* jumps come first; loading kube-proxy first and appending the CNI gives that order.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.ts';
import type { Lab } from './lab.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export function kubeProxySpec(lab: Lab): object {
  return {
    clusterCIDR: lab.spec.clusterCIDR,
    services: lab.spec.services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      portName: s.portName,
      clusterIP: s.clusterIP,
      port: s.port,
      protocol: s.protocol,
      ...(s.nodePort === undefined ? {} : { nodePort: s.nodePort }),
      endpoints: s.endpoints,
    })),
  };
}

/** Runs the generator on the scenario's services and returns its iptables-restore input. */
export function kubeProxyRules(lab: Lab): string {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-lab-kp-'));
  try {
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(kubeProxySpec(lab), null, 2));
    return run(['node', join(repoRoot, 'bin/run-ts.js'), join(repoRoot, 'test/lab/kube-proxy-rules.ts'), specFile], {
      cwd: repoRoot,
    }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the nftables-mode generator for one node and returns its `nft -f` input. */
export function kubeProxyNftRules(lab: Lab, nodeIP: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-lab-kpn-'));
  try {
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(kubeProxySpec(lab), null, 2));
    return run(['node', join(repoRoot, 'bin/run-ts.js'), join(repoRoot, 'test/lab/kube-proxy-nft-rules.ts'), specFile, nodeIP], { cwd: repoRoot }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function applyKubeProxy(lab: Lab): void {
  if (lab.spec.kubeProxyMode === 'nftables') {
    // kube-proxy's nftables mode: one `nft -f` transaction per node (its NodePort address is the node's own).
    for (const node of lab.spec.nodes) lab.exec(node.name, ['nft', '-f', '-'], { input: kubeProxyNftRules(lab, node.underlay) });
    return;
  }
  const rules = kubeProxyRules(lab);
  for (const node of lab.spec.nodes) lab.restore(node.name, rules);
}

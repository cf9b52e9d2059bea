// transcript.txt: the recorded dumps as one terminal session a person would paste, with
// `root@worker-1:~# ip addr` prompts on nodes and `(pod1) / # ip addr` in pods. The text
// after each prompt is the dump file's content, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IPSET_DUMP, NFT_DUMP, NODE_DUMPS, POD_DUMPS, clusterObjects, hasFelixPolicies } from './record.ts';
import type { ScenarioSpec } from './spec.ts';

export function transcript(spec: ScenarioSpec, dir: string): string {
  const out: string[] = [];
  // kubectl's cluster-wide objects first, from the first node's prompt (any machine with kubectl would do).
  for (const object of clusterObjects(spec)) {
    out.push(`root@${spec.nodes[0]?.name ?? 'node'}:~# ${object.command}\n`);
    out.push(object.text);
  }
  for (const node of spec.nodes) {
    const extra = [...(spec.kubeProxyMode === 'nftables' ? [NFT_DUMP] : []), ...(hasFelixPolicies(spec) ? [IPSET_DUMP] : [])];
    for (const dump of [...NODE_DUMPS, ...extra]) {
      out.push(`root@${node.name}:~# ${dump.command.join(' ')}\n`);
      out.push(readFileSync(join(dir, node.name, dump.file), 'utf8'));
    }
    for (const pod of spec.pods.filter((p) => p.node === node.name)) {
      for (const dump of POD_DUMPS) {
        out.push(`(${pod.name}) / # ${dump.command.join(' ')}\n`);
        out.push(readFileSync(join(dir, node.name, 'pods', pod.name, dump.file), 'utf8'));
      }
    }
  }
  return out.join('');
}

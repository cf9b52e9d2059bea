// transcript.txt: the recorded dumps as one terminal session a person would paste, with
// `root@worker-1:~# ip addr` prompts on nodes and `(pod1) / # ip addr` in pods. The text
// after each prompt is the dump file's content, byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NFT_DUMP, NODE_DUMPS, POD_DUMPS } from './record.ts';
import type { ScenarioSpec } from './spec.ts';

export function transcript(spec: ScenarioSpec, dir: string): string {
  const out: string[] = [];
  for (const node of spec.nodes) {
    for (const dump of spec.kubeProxyMode === 'nftables' ? [...NODE_DUMPS, NFT_DUMP] : NODE_DUMPS) {
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

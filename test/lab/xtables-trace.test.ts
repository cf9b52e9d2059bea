// The lab's reader of `xtables-monitor --trace` output, on lines the kernel really printed
// in the lab's recordings (samples/*/netfilter-trace.txt), grouped under two node headers. The verdict words are nf_tables' own:
// NFT_CONTINUE/NF_ACCEPT/NF_DROP/NFT_JUMP, and NFT_RETURN (-5) which iptables-nft 1.8.9
// prints as the raw number 0xfffffffb.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetfilterTrace } from './lib/xtables-trace.ts';
import { repoRoot } from '../helpers/run.ts';

const REAL = `# node: worker-1
PACKET: 2 c9dcff4b IN=cni0 MACSRC=6a:97:3e:20:55:e6 MACDST=e2:b0:c7:1e:8e:7a MACPROTO=0800 SRC=192.168.1.7 DST=192.168.2.12 LEN=60 TOS=0x0 TTL=64 ID=61895 DF SPORT=50058 DPORT=80 SYN 
 TRACE: 2 c9dcff4b nat:PREROUTING:rule:0x10:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
 TRACE: 2 c9dcff4b nat:PREROUTING:policy:ACCEPT 
PACKET: 2 df446669 IN=cni0 OUT=flannel.1 MACSRC=6a:97:3e:20:55:e6 MACDST=e2:b0:c7:1e:8e:7a MACPROTO=0800 SRC=192.168.1.7 DST=192.168.2.12 LEN=60 TOS=0x0 TTL=63 ID=61895 DF SPORT=50058 DPORT=80 SYN 
 TRACE: 2 df446669 nat:KUBE-POSTROUTING:rule:0x13:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
 TRACE: 2 df446669 filter:FLANNEL-FWD:rule:0x1c:ACCEPT  -4 -t filter -A FLANNEL-FWD -s 192.168.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
# node: worker-2
PACKET: 2 ff187f44 IN=cni0 OUT=flannel.1 MACSRC=6a:97:3e:20:55:e6 MACDST=e2:b0:c7:1e:8e:7a MACPROTO=0800 SRC=192.168.1.7 DST=192.168.2.12 LEN=60 TOS=0x0 TTL=63 ID=23722 DF SPORT=50058 DPORT=80 SYN 
 TRACE: 2 ff187f44 filter:FORWARD:policy:DROP 
 TRACE: 2 26451948 filter:cali-from-wl-dispatch:rule:0x45:GOTO:cali-fw-cali6abd5b4bbeb  -4 -t filter -A cali-from-wl-dispatch -i cali6abd5b4bbeb -m comment --comment "cali:CQEKONVeDl-P3kZP" -g cali-fw-cali6abd5b4bbeb
`;

describe('parseNetfilterTrace', () => {
  const blocks = parseNetfilterTrace(REAL);

  it('opens one block per PACKET line, under the node header above it', () => {
    expect(blocks.map((b) => [b.node, b.packet.traceId, b.packet.ipId, b.packet.in, b.packet.out])).toEqual([
      ['worker-1', 'c9dcff4b', 61895, 'cni0', undefined],
      ['worker-1', 'df446669', 61895, 'cni0', 'flannel.1'],
      ['worker-2', 'ff187f44', 23722, 'cni0', 'flannel.1'],
    ]);
    expect(blocks[0]?.packet).toMatchObject({ src: '192.168.1.7', dst: '192.168.2.12', sport: 50058, dport: 80, flags: ['DF', 'SYN'] });
  });

  it('reads jumps, policies, the numeric RETURN, accepts and gotos', () => {
    const entries = blocks.flatMap((b) => b.entries);
    expect(entries.map((e) => [e.table, e.chain, e.verdict, e.target ?? e.policy ?? null])).toEqual([
      ['nat', 'PREROUTING', 'jump', 'KUBE-SERVICES'],
      ['nat', 'PREROUTING', 'policy', 'accept'],
      ['nat', 'KUBE-POSTROUTING', 'return', null],
      ['filter', 'FLANNEL-FWD', 'accept', null],
      ['filter', 'FORWARD', 'policy', 'drop'],
      ['filter', 'cali-from-wl-dispatch', 'goto', 'cali-fw-cali6abd5b4bbeb'],
    ]);
    expect(entries[2]?.rule).toBe('-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN');
    expect(entries[2]?.rawVerdict).toBe('0xfffffffb');
    expect(entries[1]?.rule).toBeNull();
  });

  it('every TRACE line of every committed sample is understood', () => {
    for (const scenario of ['seed-flannel', 'seed-calico', 'flannel-hostgw', 'calico-bgp', 'fault-fdb-missing', 'fault-forward-drop', 'fault-no-route']) {
      const text = readFileSync(join(repoRoot, 'samples', scenario, 'netfilter-trace.txt'), 'utf8');
      const traceLines = text.split('\n').filter((l) => /^\s*TRACE:/.test(l)).length;
      const parsed = parseNetfilterTrace(text).flatMap((b) => b.entries);
      expect(parsed).toHaveLength(traceLines);
      expect(parsed.filter((e) => e.verdict === 'other')).toEqual([]);
    }
  });
});

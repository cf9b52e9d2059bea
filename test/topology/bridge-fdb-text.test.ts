// bridge fdb text as people paste it outside a code fence: a line set in markdown emphasis.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { parseBridgeFdb } from '../../src/topology/parse/bridge-fdb.ts';

const read = (text: string) => parseBridgeFdb(text, { file: 'f', firstLine: 1 });

describe('bridge fdb lines in markdown emphasis', () => {
  it('a whole line wrapped in * or ** is the entry, with one warning on that line (sonic-buildimage#9028)', () => {
    const r = read('22:22:00:00:00:01 dev vtep-30 vlan 30 extern_learn master Bridge\n*00:00:00:00:00:00 dev vtep-30 dst 2.2.2.2 self permanent*\n**aa:bb:cc:00:00:01 dev vtep-30 dst 2.2.2.3 self**');
    expect(r.records.map((e) => `${e.mac} ${e.dev} ${e.dst ?? '-'} ${e.permanent}`)).toEqual([
      '22:22:00:00:00:01 vtep-30 - false',
      '00:00:00:00:00:00 vtep-30 2.2.2.2 true',
      'aa:bb:cc:00:00:01 vtep-30 2.2.2.3 false',
    ]);
    expect(r.warnings.map((w) => [w.line, w.message])).toEqual([
      [2, 'markdown emphasis around the entry (`*`): read without it'],
      [3, 'markdown emphasis around the entry (`**`): read without it'],
    ]);
  });

  it('markers that do not close the line, or mismatch, leave it as it was: not an entry', () => {
    for (const line of ['*00:00:00:00:00:00 dev vtep-30 dst 2.2.2.2 self permanent', '*00:00:00:00:00:00 dev vtep-30 self_', '**00:00:00:00:00:00 dev vtep-30 self*']) {
      const r = read(line);
      expect(r.records, line).toEqual([]);
      expect(r.warnings.map((w) => w.message), line).toEqual(['not understood as a bridge fdb entry, skipped']);
    }
  });
});

describe('bridge ports from bridge fdb', () => {
  const topologyOf = async (text: string, more = '') => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-fdb-'));
    try {
      const file = join(dir, 't.txt');
      writeFileSync(file, text + more);
      return await loadTopology([file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('`dev P master B` makes P a port of B; the bridge\'s own `dev B master B` entry does not (rancher#9822)', async () => {
    const t = await topologyOf('root@h1:~# bridge fdb show\n02:b2:ca:68:10:ec dev vtep1042 master docker0\n0e:00:0a:1b:b7:ec dev vtep1042 dst 10.27.183.236 self permanent\na8:2b:b5:87:a0:dc dev docker0 vlan 1 master docker0 permanent\n');
    expect(t.nodes[0]?.netns.bridges).toEqual([{ name: 'docker0', ports: ['vtep1042'] }]);
  });

  it('a master that ip link shows is no bridge (a bond) makes no bridge', async () => {
    const t = await topologyOf(
      'root@h1:~# bridge fdb show\n02:b2:ca:68:10:ec dev eth0 master bond0\n',
      'root@h1:~# ip -d link\n3: bond0: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n    link/ether 02:b2:ca:68:10:ec brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535\n    bond mode 802.3ad miimon 100\n',
    );
    expect(t.nodes[0]?.netns.bridges).toEqual([]);
  });
});

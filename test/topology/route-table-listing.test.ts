// `ip route show table N` prints that table's routes without `table N` on any line (iproute2
// omits the table it was asked for). aws/amazon-vpc-cni-k8s#1712 pasted a node's table 2, whose
// `default via 10.204.128.1 dev ens6` was read into main, where it took the place of the main
// table's own default (via the same gateway, dev ens5) listed after it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { readCommand } from '../../src/topology/inputs/command.ts';
import { parseIpRoute } from '../../src/topology/parse/ip-route.ts';

async function routesOf(lines: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-table-'));
  try {
    const file = join(dir, 't.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const t = await loadTopology([file], { node: 'n1' });
    return (t.nodes[0]?.netns.routes ?? []).map((r) => `${r.table} ${r.dst} ${r.via ?? '-'} ${r.dev ?? '-'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ip route show table N', () => {
  it('the command names the table its output does not (the #1712 paste, trailing blanks kept)', async () => {
    expect(
      await routesOf([
        '# ip route show table 2',
        'default via 10.204.128.1 dev ens6 ',
        '10.204.128.1 dev ens6 scope link',
        '',
        '# ip route list ',
        'default via 10.204.128.1 dev ens5 ',
        '10.204.128.0/18 dev ens5 proto kernel scope link src 10.204.191.153 ',
      ]),
    ).toEqual([
      '2 default 10.204.128.1 ens6',
      '2 10.204.128.1/32 - ens6',
      'main default 10.204.128.1 ens5',
      'main 10.204.128.0/18 - ens5',
    ]);
  });

  it('reads the table from the command line; `table all` and no table leave each route its own', () => {
    const table = (cmd: string) => readCommand(cmd.split(' ')).table;
    expect(table('ip route show table 2')).toBe('2');
    expect(table('ip r s table eni-1')).toBe('eni-1');
    expect(table('ip route show table 254')).toBe('main');
    expect(table('ip route show table all')).toBeUndefined();
    expect(table('ip route')).toBeUndefined();
    // only routes: `ip rule` has no such filter, `ip neigh` no table
    expect(table('ip neigh show dev eth0')).toBeUndefined();
  });

  it('a route that names its table keeps it; local and broadcast keep local only when no table was asked for', () => {
    const read = (text: string, table?: string) =>
      parseIpRoute(text, { file: 'f', ...(table !== undefined ? { table } : {}) }).records.map((r) => `${r.table} ${r.type} ${r.dst}`);
    expect(read('default via 10.0.0.1 dev eth1 table 7\n10.0.0.0/24 dev eth1', '2')).toEqual(['7 unicast default', '2 unicast 10.0.0.0/24']);
    expect(read('local 10.0.0.5 dev eth0 proto kernel scope host src 10.0.0.5')).toEqual(['local local 10.0.0.5/32']);
    expect(read('local 10.0.0.5 dev eth0 proto kernel scope host src 10.0.0.5', 'local')).toEqual(['local local 10.0.0.5/32']);
  });
});

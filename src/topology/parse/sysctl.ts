// Kernel settings that decide forwarding: `sysctl -a` / `sysctl KEY` lines
// (`net.ipv4.conf.cni0.forwarding = 0`), `ip netconf` lines (`ipv4 dev cni0
// forwarding off rp_filter strict proxy_neigh off`), and `cat
// /proc/sys/net/...` (the key comes from the path). Keys are kept in sysctl's
// dotted form, values as printed by sysctl (netconf's on/off become 1/0,
// rp_filter strict/loose 1/2, proxy_neigh is proxy_arp: devinet.c's NETCONFA_PROXY_NEIGH).
import type { Warning } from '../model.ts';
import type { DumpSource, ParseResult } from './tokens.ts';

export interface SysctlSetting {
  key: string;
  value: string;
  source: { file: string; line: number };
}

const NETCONF_KEYS: Record<string, string> = { forwarding: 'forwarding', rp_filter: 'rp_filter', proxy_neigh: 'proxy_arp', mc_forwarding: 'mc_forwarding' };
const NETCONF_VALUES: Record<string, string> = { on: '1', off: '0', strict: '1', loose: '2' };

export function parseSysctl(text: string, source: DumpSource & { procPath?: string }): ParseResult<SysctlSetting> {
  const first = source.firstLine ?? 1;
  const records: SysctlSetting[] = [];
  const warnings: Warning[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    const at = { file: source.file, line: first + n };
    const kv = /^([a-z0-9_]+(?:[./][\w@:-]+)+)\s*=\s*(.*)$/.exec(line);
    if (kv) {
      records.push({ key: kv[1]!.replace(/\//g, '.'), value: kv[2]!.trim(), source: at });
      return;
    }
    // iproute2 before 5.x: `ipv4 dev cni0 forwarding off …`; since: `inet cni0 forwarding off …`.
    // (No nested quantifiers here: the fuzz test found one that backtracked for minutes.)
    const netconf = /^(ipv4|ipv6|inet|inet6) (?:dev )?(\S+) (\S.*)$/.exec(line);
    if (netconf && /^(?:forwarding|rp_filter|mc_forwarding|proxy_neigh) /.test(netconf[3]!)) {
      const family = netconf[1]!.endsWith('6') ? 'ipv6' : 'ipv4';
      const words = netconf[3]!.trim().split(/\s+/);
      for (let i = 0; i + 1 < words.length; i += 2) {
        const key = NETCONF_KEYS[words[i]!];
        if (key) records.push({ key: `net.${family}.conf.${netconf[2]}.${key}`, value: NETCONF_VALUES[words[i + 1]!] ?? words[i + 1]!, source: at });
      }
      return;
    }
    // `cat /proc/sys/net/ipv4/conf/cali…/proxy_arp` prints only the value.
    if (source.procPath !== undefined && /^\S+$/.test(line) && records.length === 0) {
      records.push({ key: source.procPath.replace(/^\/proc\/sys\//, '').replace(/\//g, '.'), value: line, source: at });
      return;
    }
    warnings.push({ ...at, message: 'not understood as a sysctl setting, skipped', text: raw.slice(0, 200) });
  });
  return { records, warnings };
}

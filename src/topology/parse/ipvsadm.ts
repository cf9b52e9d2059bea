// `ipvsadm -Ln` (the list) and `ipvsadm -Sn` (the save format) into IPVS
// virtual services with their real servers:
//
//   IP Virtual Server version 1.2.1 (size=4096)           -A -t 10.96.0.1:443 -s rr
//   Prot LocalAddress:Port Scheduler Flags                 -a -t 10.96.0.1:443 -r 172.18.0.2:6443 -m -w 1
//     -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
//   TCP  10.96.0.1:443 rr persistent 10800
//     -> 172.18.0.2:6443              Masq    1      0          0
//
// Forwarding: Masq / -m (NAT), Route / -g (direct routing), Tunnel / -i (IP-in-IP),
// Local (the address is the host's own). Knows nothing of Kubernetes. A line it
// cannot read is a warning with its line; the other services still count.
import type { IpvsRealServer, IpvsService, Warning } from '../model.ts';

export interface IpvsadmResult {
  records: IpvsService[];
  warnings: Warning[];
}

const PROTOCOLS: Record<string, IpvsService['protocol']> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp', t: 'tcp', u: 'udp', '-sctp-service': 'sctp' };
const FORWARDS: Record<string, IpvsRealServer['forward']> = { Masq: 'masq', Route: 'route', Tunnel: 'tunnel', Local: 'local', '-m': 'masq', '-g': 'route', '-i': 'tunnel' };

/** "10.96.0.1:443" or "[fd00::1]:443" → address and port. */
function endpoint(text: string): { address: string; port: number } | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port <= 65535 ? { address: m[1]!, port } : undefined;
}

function weightOf(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

export function parseIpvsadm(text: string, file: string, options: { firstLine?: number } = {}): IpvsadmResult {
  const first = options.firstLine ?? 1;
  const records: IpvsService[] = [];
  const warnings: Warning[] = [];
  const find = (protocol: string, address: string, port: number) => records.find((s) => s.protocol === protocol && s.address === address && s.port === port);
  let current: IpvsService | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const at = first + i;
    const warn = (message: string) => warnings.push({ file, line: at, message, text: line.slice(0, 200) });
    const trimmed = line.trim();
    if (trimmed === '' || /^IP Virtual Server version/.test(trimmed) || /^Prot LocalAddress:Port/.test(trimmed) || /^-> RemoteAddress:Port/.test(trimmed)) return;
    // ipvsadm -Ln
    const service = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(.*)$/.exec(trimmed);
    if (service) {
      const where = endpoint(service[2]!);
      if (!where) {
        current = undefined;
        warn('expected ADDRESS:PORT after the protocol');
        return;
      }
      current = { protocol: PROTOCOLS[service[1]!]!, address: where.address, port: where.port, scheduler: service[3]!, realServers: [], source: { file, line: at } };
      const persistent = /\bpersistent (\d+)/.exec(service[4] ?? '');
      if (persistent) current.persistentSeconds = Number(persistent[1]);
      records.push(current);
      return;
    }
    if (/^FWM\s/.test(trimmed)) {
      current = undefined;
      warn('firewall-mark virtual services (FWM) are not modelled');
      return;
    }
    const real = /^->\s+(\S+)\s+(\S+)\s+(\d+)\s+\d+\s+\d+\s*$/.exec(trimmed);
    if (real) {
      const where = endpoint(real[1]!);
      const forward = FORWARDS[real[2]!];
      if (!current || !where || !forward) {
        warn(current ? 'expected `-> ADDRESS:PORT Masq|Route|Tunnel|Local WEIGHT ACTIVE INACTIVE`' : 'a real server before any virtual service');
        return;
      }
      current.realServers.push({ address: where.address, port: where.port, forward, weight: Number(real[3]), source: { file, line: at } });
      return;
    }
    // ipvsadm -Sn
    const words = trimmed.split(/\s+/);
    if (words[0] === '-A' || words[0] === '-a') {
      const kind = words[1] === '-t' ? 'tcp' : words[1] === '-u' ? 'udp' : words[1] === '--sctp-service' ? 'sctp' : undefined;
      const where = endpoint(words[2] ?? '');
      if (!kind || !where) {
        warn(words[1] === '-f' ? 'firewall-mark virtual services (-f) are not modelled' : 'expected -t|-u ADDRESS:PORT');
        return;
      }
      const option = (name: string) => {
        const k = words.indexOf(name);
        return k < 0 ? undefined : words[k + 1];
      };
      if (words[0] === '-A') {
        const svc: IpvsService = { protocol: kind, address: where.address, port: where.port, scheduler: option('-s') ?? 'wlc', realServers: [], source: { file, line: at } };
        const persistent = option('-p');
        if (words.includes('-p')) svc.persistentSeconds = weightOf(persistent) ?? 300;
        records.push(svc);
        return;
      }
      const svc = find(kind, where.address, where.port);
      const server = endpoint(option('-r') ?? '');
      if (!svc || !server) {
        warn(svc ? 'expected -r ADDRESS:PORT' : `real server of ${kind} ${words[2]}, which no -A line before it made`);
        return;
      }
      const forward = FORWARDS[words.find((w) => w === '-m' || w === '-g' || w === '-i') ?? '-g']!;
      svc.realServers.push({ address: server.address, port: server.port, forward, weight: weightOf(option('-w')) ?? 1, source: { file, line: at } });
      return;
    }
    warn('a line that is neither an IPVS virtual service nor one of its real servers');
  });
  return { records, warnings };
}

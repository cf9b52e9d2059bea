// `ip -br addr` / `ip -br link` (brief, one interface per line):
//
//   lo               UNKNOWN        127.0.0.1/8 ::1/128
//   eth0@if2         UP             10.244.190.5/32 fe80::dc85:25ff:fe60:865b/64
//   cni0             UP             ae:4f:1b:41:c7:7a <BROADCAST,MULTICAST,UP,LOWER_UP>   (-br link)
//
// No ifindex is printed, so the pod↔node veth match can only use the peer's
// index (`@ifN`); index is recorded as 0 (unknown).
import type { NetInterface, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isIP, isPlaceholderAddress, placeholderWarning } from './tokens.ts';

const STATES = new Set(['UP', 'DOWN', 'UNKNOWN', 'LOWERLAYERDOWN', 'DORMANT', 'NOTPRESENT', 'TESTING']);

export function parseIpBrief(text: string, source: DumpSource): ParseResult<NetInterface> {
  const first = source.firstLine ?? 1;
  const records: NetInterface[] = [];
  const warnings: Warning[] = [];
  text.split('\n').forEach((raw, n) => {
    const line = first + n;
    const words = raw.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return;
    const name = /^([^\s@]+)(?:@(\S+))?$/.exec(words[0]!);
    if (!name || words.length < 2 || !STATES.has(words[1]!)) {
      warnings.push({ file: source.file, line, message: 'not understood as ip -br output, skipped', text: raw.slice(0, 200) });
      return;
    }
    const iface: NetInterface = { index: 0, name: name[1]!, state: words[1]!, flags: [], addresses: [], source: { file: source.file, line } };
    const peer = /^if(\d+)$/.exec(name[2] ?? '');
    if (peer) iface.peerIndex = Number(peer[1]);
    for (const word of words.slice(2)) {
      const [address, length] = word.split('/');
      if (address && isIP(address) && length !== undefined && /^\d+$/.test(length)) {
        const family = address.includes(':') ? 6 : 4;
        iface.addresses.push({ family, address, prefixLength: Number(length), scope: address.startsWith('fe80:') ? 'link' : address.startsWith('127.') ? 'host' : 'global' });
      } else if (isPlaceholderAddress(word)) {
        warnings.push(placeholderWarning(source.file, line, word, `address of ${iface.name}`, raw.slice(0, 200)));
      } else if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(word)) iface.mac = word.toLowerCase();
      else if (word.startsWith('<') && word.endsWith('>')) iface.flags = word.slice(1, -1).split(',');
    }
    if (iface.name === 'lo') iface.kind = 'loopback';
    records.push(iface);
  });
  return { records, warnings };
}

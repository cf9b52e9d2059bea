// `ip addr` / `ip link` / `ip -d link` / `ip -d addr` text output (iproute2).
// Both commands print the same block per interface, `ip addr` adds inet lines:
//
//   11: veth6b3caf45@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP group default
//       link/ether de:9c:43:da:8b:ce brd ff:ff:ff:ff:ff:ff link-netnsid 3 promiscuity 0 …   (-d adds the rest)
//       vxlan id 1 local 10.162.0.7 dev ens4 srcport 0 0 dstport 8472 nolearning ageing 300   (-d: kind line)
//       inet 192.168.1.1/24 brd 192.168.1.255 scope global cni0
//          valid_lft forever preferred_lft forever
//
// Parsed token by token (see tokens.ts), so a block flattened onto one line
// reads the same. A block starts at `N: name[@peer]:` followed by `<flags>` or `mtu`.
import type { InterfaceAddress, NetInterface, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, type Token, isIP, tokenize, toInt } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

/** Header keywords that take one value. */
const HEADER_KEYS = new Set([
  'mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'link-netnsid', 'link-netns', 'promiscuity', 'allmulti',
  'minmtu', 'maxmtu', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs',
  'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'addrgenmode', 'altname', 'permaddr', 'parentbus',
  'parentdev', 'protodown', 'protodown_reason', 'netns', 'xdp', 'alias', 'brd', 'vrf_slave',
]);

/** Flags that stand alone in the header or after an address. */
const LONE_WORDS = new Set(['NO-CARRIER', 'UP', 'DOWN', 'UNKNOWN', 'LOWER_UP', 'DORMANT']);

/** `ip -d` kind lines: the kind word and what follows it until a known section starts. */
const KINDS = new Set([
  'veth', 'vxlan', 'bridge', 'bridge_slave', 'ipip', 'dummy', 'geneve', 'tun', 'vlan', 'macvlan', 'ipvlan',
  'wireguard', 'gre', 'gretap', 'sit', 'ip6tnl', 'vti', 'bond', 'bond_slave', 'team', 'vrf', 'ifb', 'nlmon', 'erspan',
  'openvswitch', 'openvswitch_slave', 'macsec', 'xfrm', 'netkit',
]);

const ADDRESS_FLAGS = new Set([
  'secondary', 'primary', 'dynamic', 'noprefixroute', 'tentative', 'deprecated', 'permanent', 'mngtmpaddr',
  'temporary', 'home', 'nodad', 'optimistic', 'dadfailed', 'stable-privacy', 'autojoin',
]);

/** Column names of `ip -s link` counters. */
const STAT_WORDS = new Set(['bytes', 'packets', 'errors', 'errors:', 'dropped', 'missed', 'mcast', 'carrier', 'collsns', 'length', 'crc', 'frame', 'fifo', 'overrun', 'aborted', 'window', 'heartbt', 'transns', 'otherhost']);

interface HeaderMatch {
  index: number;
  name: string;
  peer?: string;
}

/** `3:` `eth0@if11:` then `<…>` or `mtu` (a glued `eth0@if16:mtu` was split before). */
function headerAt(tokens: Token[], i: number): HeaderMatch | undefined {
  const index = /^(\d{1,10}):$/.exec(tokens[i]?.text ?? '');
  const name = /^([^\s:@<]+)(?:@([^\s:]+))?:$/.exec(tokens[i + 1]?.text ?? '');
  const next = tokens[i + 2]?.text ?? '';
  if (!index || !name || name[1] === undefined || !(next.startsWith('<') || next === 'mtu')) return undefined;
  const match: HeaderMatch = { index: Number(index[1]), name: name[1] };
  if (name[2] !== undefined) match.peer = name[2];
  return match;
}

export function parseIpAddr(text: string, source: DumpSource): ParseResult<NetInterface> {
  // A flattened paste can glue the header's name to what follows (`eth0@if16:mtu`): split it first.
  const tokens = tokenize(text, source.firstLine ?? 1).flatMap((t) => {
    const glued = /^([^\s:@<]+(?:@[^\s:]+)?:)(<.*|mtu)$/.exec(t.text);
    return glued ? [{ ...t, text: glued[1]! }, { ...t, text: glued[2]!, lineStart: false }] : [t];
  });
  const warnings: Warning[] = [];
  const unknown = new UnknownTokens(source.file, 'ip addr/link output', warnings);
  const records: NetInterface[] = [];
  let current: NetInterface | undefined;
  let address: InterfaceAddress | undefined;
  let kind: string | undefined;
  let detail = false;
  let stats = false;

  let i = 0;
  const next = (): string | undefined => tokens[++i]?.text;

  while (i < tokens.length) {
    const token = tokens[i]!;
    const header = headerAt(tokens, i);
    if (header) {
      unknown.flush();
      current = { index: header.index, name: header.name, flags: [], addresses: [], source: { file: source.file, line: token.line } };
      if (header.peer !== undefined) {
        const peerIndex = /^if(\d+)$/.exec(header.peer);
        if (peerIndex) current.peerIndex = Number(peerIndex[1]);
      }
      records.push(current);
      address = undefined;
      kind = undefined;
      detail = false;
      i += 2;
      continue;
    }
    if (!current) {
      unknown.add(token);
      i++;
      continue;
    }
    const word = token.text;
    // `ip -s link` counters: `RX:  bytes packets errors …` then a row of numbers.
    if (word === 'RX:' || word === 'TX:' || ((word === 'RX' || word === 'TX') && tokens[i + 1]?.text === 'errors:')) {
      stats = true;
      i++;
      continue;
    }
    if (stats) {
      if (STAT_WORDS.has(word) || /^\d+$/.test(word)) {
        i++;
        continue;
      }
      stats = false;
    }
    if (word.startsWith('<') && word.endsWith('>')) {
      current.flags = word.slice(1, -1).split(',').filter((f) => f.length > 0);
    } else if (word === 'inet' || word === 'inet6') {
      address = readAddress(word, tokens[i + 1]?.text);
      if (address) {
        current.addresses.push(address);
        i++;
      } else unknown.add(token);
      kind = undefined;
    } else if (address && readAddressOption(address, word, tokens[i + 1]?.text, current.name)) {
      if (['brd', 'peer', 'scope', 'label', 'valid_lft', 'preferred_lft', 'proto', 'metric'].includes(word)) i++;
    } else if (word.startsWith('link/')) {
      const linkType = word.slice(5);
      if (linkType === 'loopback') current.kind ??= 'loopback';
      else if (linkType === 'ipip') current.kind ??= 'ipip';
      const mac = tokens[i + 1]?.text;
      if (mac && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(mac)) {
        if (linkType === 'ether' || linkType === 'loopback') current.mac = mac.toLowerCase();
        i++;
      } else if (mac && isIP(mac)) i++;
    } else if (word === 'link-netnsid') {
      const id = toInt(next());
      if (id !== undefined) current.linkNetnsId = id;
    } else if (word === 'link-netns') {
      const name = next();
      if (name) current.linkNetns = name;
    } else if (word === 'mtu') {
      const mtu = toInt(next());
      if (mtu !== undefined) current.mtu = mtu;
    } else if (word === 'master') {
      const master = next();
      if (master) current.master = master;
    } else if (word === 'state' && kind === undefined) {
      const state = next();
      if (state) current.state = state;
    } else if (word === 'promiscuity') {
      detail = true;
      i++;
    } else if (HEADER_KEYS.has(word) && kind === undefined) {
      i++;
    } else if (LONE_WORDS.has(word) && kind === undefined) {
      // header words such as NO-CARRIER carry nothing the model needs
    } else if (KINDS.has(word) && (detail || isKindLine(token, tokens[i + 1]))) {
      kind = word;
      if (word !== 'bridge_slave' && word !== 'bond_slave' && word !== 'openvswitch_slave') current.kind = word;
      if (word === 'vxlan') current.vxlan = { vni: 0, port: 8472, learning: true };
      if (word === 'ipip') current.ipip = {};
      detail = true;
    } else if (kind !== undefined && readKindOption(current, kind, word, tokens[i + 1]?.text)) {
      i++;
    } else if (detail || kind !== undefined) {
      // `ip -d` prints dozens of per-kind tunables (ageing, udpcsum, gso_max_size …) the model does not use.
    } else {
      unknown.add(token);
    }
    i++;
  }
  unknown.flush();
  for (const record of records) {
    if (record.vxlan && record.vxlan.vni === 0 && !hasVni(record)) {
      warnings.push({ file: source.file, line: record.source?.line ?? 0, message: `${record.name}: vxlan without an id` });
    }
  }
  return { records, warnings };
}

function hasVni(record: NetInterface): boolean {
  return (record.vxlan?.vni ?? 0) > 0;
}

/** A kind word counts at the start of a line, or (flattened) before its typical first option. */
function isKindLine(token: Token, following: Token | undefined): boolean {
  if (token.lineStart) return true;
  const next = following?.text ?? '';
  return (token.text === 'vxlan' && next === 'id') || (token.text === 'ipip' && /^(remote|local|any|external)$/.test(next));
}

function readAddress(family: string, value: string | undefined): InterfaceAddress | undefined {
  if (!value) return undefined;
  const [address, length] = value.split('/');
  if (!address || !isIP(address)) return undefined;
  const fam: 4 | 6 = family === 'inet6' ? 6 : 4;
  const prefixLength = length === undefined ? (fam === 4 ? 32 : 128) : Number(length);
  if (!Number.isInteger(prefixLength)) return undefined;
  return { family: fam, address, prefixLength };
}

/** Returns true when `word` belongs to the address line (the caller skips its value). */
function readAddressOption(address: InterfaceAddress, word: string, value: string | undefined, ifname: string): boolean {
  switch (word) {
    case 'brd':
      if (value) address.broadcast = value;
      return true;
    case 'peer':
      if (value) address.peer = value;
      return true;
    case 'scope':
      if (value) address.scope = value;
      return true;
    case 'label':
    case 'valid_lft':
    case 'preferred_lft':
    case 'proto':
    case 'metric':
      return true;
  }
  if (ADDRESS_FLAGS.has(word)) return true;
  // The label ends the inet line: the interface name or an alias like `eth0:1`.
  return word === ifname || word.startsWith(`${ifname}:`);
}

/** Options of the `ip -d` kind line that the model keeps. */
function readKindOption(iface: NetInterface, kind: string, word: string, value: string | undefined): boolean {
  if (kind === 'vxlan' && iface.vxlan) {
    const vxlan = iface.vxlan;
    switch (word) {
      case 'id': {
        const vni = toInt(value);
        if (vni !== undefined) vxlan.vni = vni;
        return true;
      }
      case 'dstport': {
        const port = toInt(value);
        if (port !== undefined) vxlan.port = port;
        return true;
      }
      case 'local':
        if (value) vxlan.local = value;
        return true;
      case 'dev':
        if (value) vxlan.device = value;
        return true;
      case 'nolearning':
        vxlan.learning = false;
        return false;
    }
  }
  if (kind === 'ipip' && iface.ipip) {
    if (word === 'remote' || word === 'local') {
      if (value && value !== 'any') iface.ipip[word] = value;
      return true;
    }
  }
  return false;
}

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
//
// `ip -o` prints each block on one line, its lines joined by a backslash glued to the word
// before it, and `ip -o addr` one line per address with the bare name in front:
//
//   2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP … qlen 1000\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
//   6: weave    inet 10.32.0.1/12 brd 10.47.255.255 scope global weave\       valid_lft forever preferred_lft forever
//
// so the word after a backslash starts a line of the block (on the same source line), and
// `N: name inet|inet6` starts the block, or goes on with it when it is the same interface's.
import type { InterfaceAddress, NetInterface, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, type Token, isIP, isPlaceholderAddress, lineText, placeholderWarning, tokenize, toInt, onLine } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';
import { warningAt } from '../../util/warning.ts';

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
  /** `ip -o addr`'s `N: name inet …`: the address follows on the same line. */
  oneLine: boolean;
}

/**
 * `3:` `eth0@if11:` then `<…>` or `mtu` (a glued `eth0@if16:mtu` was split before); or, at a
 * line's start, `ip -o addr`'s `3:` `eth0` then `inet` or `inet6`.
 */
function headerAt(tokens: Token[], i: number): HeaderMatch | undefined {
  const index = /^(\d{1,10}):$/.exec(tokens[i]?.text ?? '');
  if (!index) return undefined;
  const nameText = onLine(tokens, i) ?? '';
  const next = onLine(tokens, i, 2) ?? '';
  const name = /^([^\s:@<]+)(?:@([^\s:]+))?:$/.exec(nameText);
  const oneLine = name === null && tokens[i]!.lineStart && (next === 'inet' || next === 'inet6') ? /^([^\s:@<\\]+)(?:@([^\s:]+))?$/.exec(nameText) : null;
  const found = name ?? oneLine;
  if (!found || found[1] === undefined || (name !== null && !(next.startsWith('<') || next === 'mtu'))) return undefined;
  const match: HeaderMatch = { index: Number(index[1]), name: found[1], oneLine: oneLine !== null };
  if (found[2] !== undefined) match.peer = found[2];
  return match;
}

/**
 * Tokens of `ip -o` lines as ip's multi-line output gives them: a trailing backslash (or a lone
 * one) is dropped and the next word marked as a line's start, so onLine does not read across it.
 */
function unfoldOneLineBlocks(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let startsLine = false;
  for (const token of tokens) {
    if (token.lineStart) startsLine = false;
    if (token.text === '\\') {
      startsLine = true;
      continue;
    }
    const backslash = token.text.length > 1 && token.text.endsWith('\\');
    const text = backslash ? token.text.slice(0, -1) : token.text;
    out.push(startsLine || backslash ? { ...token, text, lineStart: token.lineStart || startsLine } : token);
    startsLine = backslash;
  }
  return out;
}

export function parseIpAddr(text: string, source: DumpSource): ParseResult<NetInterface> {
  // A flattened paste can glue the header's name to what follows (`eth0@if16:mtu`): split it first.
  const tokens = unfoldOneLineBlocks(tokenize(text, source.firstLine ?? 1)).flatMap((t) => {
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
  const next = (): string | undefined => {
    const value = onLine(tokens, i);
    if (value !== undefined) i++;
    return value;
  };

  /**
   * After an address that could not be read (a placeholder, a typo), the rest of its
   * line belongs to it: 'warn' reports those tokens, 'quiet' drops them (already warned).
   * It ends where a new section starts, so a flattened paste goes on after it.
   * 'line': a line that starts no section of a block, reported up to the next header.
   */
  let poisoned: 'warn' | 'quiet' | 'line' | undefined;

  while (i < tokens.length) {
    const token = tokens[i]!;
    const header = headerAt(tokens, i);
    if (header) {
      unknown.flush();
      poisoned = undefined;
      if (header.oneLine && current !== undefined && current.index === header.index && current.name === header.name) {
        // The same interface's next address line (`ip -o addr` repeats the name on each).
        address = undefined;
        kind = undefined;
        i += 2;
        continue;
      }
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
    if (token.lineStart) {
      // Each line of a block starts a known section; any other line is one warning and
      // changes nothing (gluing it onto the address or kind line above did).
      poisoned = undefined;
      const role = lineRole(word, stats);
      if (role === undefined) {
        // Until the line ends or (flattened) an interface header starts on it.
        stats = false;
        address = undefined;
        kind = undefined;
        poisoned = 'line';
      }
      if (role !== 'stats-row') stats = false;
      if (role !== 'lifetime') address = undefined;
      kind = undefined;
    }
    if (poisoned !== undefined) {
      if (poisoned === 'line' || !(word === 'inet' || word === 'inet6' || word.startsWith('link/'))) {
        if (poisoned !== 'quiet') unknown.add(token);
        i++;
        continue;
      }
      poisoned = undefined;
    }
    // `ip -s link` counters: `RX:  bytes packets errors …` then a row of numbers.
    if (word === 'RX:' || word === 'TX:' || ((word === 'RX' || word === 'TX') && onLine(tokens, i) === 'errors:')) {
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
    if (word === 'inet' || word === 'inet6') {
      const value = onLine(tokens, i);
      address = readAddress(word, value);
      kind = undefined;
      if (address) {
        current.addresses.push(address);
        i += 2;
        continue;
      }
      if (value !== undefined && isPlaceholderAddress(value)) {
        warnings.push(placeholderWarning(source.file, token.line, value, `address of ${current.name}`, lineText(text, token.line, source.firstLine ?? 1)));
        poisoned = 'quiet';
      } else {
        unknown.add(token);
        poisoned = 'warn';
      }
      i++;
      continue;
    }
    if (word === 'valid_lft' || word === 'preferred_lft') {
      // Lifetimes carry nothing the model uses, whichever address (kept or dropped) they follow.
      next();
      i++;
      continue;
    }
    if (word.startsWith('<') && word.endsWith('>')) {
      current.flags = word.slice(1, -1).split(',').filter((f) => f.length > 0);
    } else if (address && readAddressOption(address, word, onLine(tokens, i), current.name)) {
      if (['brd', 'peer', 'scope', 'label', 'valid_lft', 'preferred_lft', 'proto', 'metric'].includes(word)) next();
    } else if (word.startsWith('link/')) {
      const linkType = word.slice(5);
      if (linkType === 'loopback') current.kind ??= 'loopback';
      else if (linkType === 'ipip') current.kind ??= 'ipip';
      const mac = onLine(tokens, i);
      if ((linkType === 'ether' || linkType === 'loopback') && !(mac && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(mac))) {
        // `link/ether` is always followed by its MAC: without one, the line is not ip's.
        unknown.add(token);
        poisoned = 'warn';
      } else if (mac && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(mac)) {
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
      next();
    } else if (HEADER_KEYS.has(word) && kind === undefined) {
      next();
    } else if (LONE_WORDS.has(word) && kind === undefined) {
      // header words such as NO-CARRIER carry nothing the model needs
    } else if (KINDS.has(word) && (detail || isKindLine(token, onLine(tokens, i)))) {
      kind = word;
      if (word !== 'bridge_slave' && word !== 'bond_slave' && word !== 'openvswitch_slave') current.kind = word;
      if (word === 'vxlan') current.vxlan = { vni: 0, port: 8472, learning: true };
      if (word === 'ipip') current.ipip = {};
      detail = true;
    } else if (kind !== undefined && readKindOption(current, kind, word, onLine(tokens, i))) {
      next();
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
      warnings.push(warningAt(record.source, source.file, `${record.name}: vxlan without an id`));
    }
  }
  return { records, warnings };
}

/** Words that start a line of an interface's block (besides its `N: name:` header). */
const LINE_STARTS = new Set(['valid_lft', 'preferred_lft', 'inet', 'inet6', 'altname', 'promiscuity', 'addrgenmode', 'alias', 'permaddr', 'parentbus', 'parentdev', 'vf', 'RX:', 'TX:', 'RX', 'TX']);

type LineRole = 'lifetime' | 'stats-row' | 'section';

/** What a line of an interface block starting with `word` is, or undefined when no line of ip addr/link starts so. */
function lineRole(word: string, stats: boolean): LineRole | undefined {
  if (word === 'valid_lft' || word === 'preferred_lft') return 'lifetime';
  if (stats && /^\d+$/.test(word)) return 'stats-row';
  if (LINE_STARTS.has(word) || word.startsWith('link/') || word.startsWith('prog/') || KINDS.has(word)) return 'section';
  return undefined;
}

function hasVni(record: NetInterface): boolean {
  return (record.vxlan?.vni ?? 0) > 0;
}

/** A kind word counts at the start of a line, or (flattened) before its typical first option. */
function isKindLine(token: Token, following: string | undefined): boolean {
  if (token.lineStart) return true;
  const next = following ?? '';
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

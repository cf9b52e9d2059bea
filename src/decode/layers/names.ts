// Names beside numbers, as tshark -V prints them ("Protocol: UDP (17)", "Type: IPv4 (0x0800)",
// "Link type: Ethernet (1)"): the IANA protocol numbers, EtherTypes and LINKTYPE values the
// decoder meets. One table each, for -V (which the UI's capture rows show too) and the registry.

/**
 * IANA "Assigned Internet Protocol Numbers", the ones seen in pod networking: the name -V and
 * the UI show, and for the protocols podpath names but does not decode, the name its payload
 * layer gets (`"protocol":"igmp"` in --json, "IGMP" in the summary line). The one table.
 */
const IP_PROTOCOLS: readonly [number, string, string?][] = [
  [0, 'IPv6 Hop-by-Hop'], [1, 'ICMP'], [2, 'IGMP', 'igmp'], [4, 'IPIP'], [6, 'TCP'], [17, 'UDP'], [41, 'IPv6'], [43, 'IPv6 Routing'],
  [44, 'IPv6 Fragment'], [47, 'GRE'], [50, 'ESP', 'esp'], [51, 'AH', 'ah'], [58, 'ICMPv6'], [59, 'IPv6 No Next Header', 'ipv6-nonxt'],
  [60, 'IPv6 Destination Options'], [89, 'OSPF', 'ospf'], [103, 'PIM', 'pim'], [112, 'VRRP', 'vrrp'], [132, 'SCTP', 'sctp'],
];

export const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = Object.fromEntries(IP_PROTOCOLS.map(([n, name]) => [n, name]));

/** Payload names of the IP protocols podpath does not decode, by protocol number. */
export const IP_PAYLOAD_NAMES: Readonly<Record<number, string>> = Object.fromEntries(IP_PROTOCOLS.filter((p) => p[2] !== undefined).map(([n, , short]) => [n, short as string]));

export const ETHERTYPE_NAMES: Readonly<Record<number, string>> = {
  0x0800: 'IPv4', 0x0806: 'ARP', 0x8100: '802.1Q Virtual LAN', 0x86dd: 'IPv6', 0x88a8: '802.1ad', 0x6558: 'Transparent Ethernet bridging',
};

/** tcpdump.org's LINKTYPE_* values, named as tshark's "Encapsulation type". */
export const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL/Loopback', 1: 'Ethernet', 12: 'Raw IP', 14: 'Raw IP', 101: 'Raw IP', 113: 'Linux cooked-mode capture v1', 239: 'NFLOG', 276: 'Linux cooked-mode capture v2',
};

/** 'UDP (17)', or the number alone when it has no name here. */
export const named = (names: Readonly<Record<number, string>>, value: number, shown: string = String(value)): string =>
  names[value] !== undefined ? `${names[value]} (${shown})` : shown;

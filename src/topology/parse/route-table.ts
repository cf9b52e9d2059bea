// `route -n` and `netstat -rn` (net-tools), IPv4 and IPv6, into the same Route
// records `ip route` gives. net-tools prints the kernel's FIB from
// /proc/net/route and /proc/net/ipv6_route as a table:
//
//   Kernel IP routing table
//   Destination     Gateway         Genmask         Flags Metric Ref    Use Iface     (route -n)
//   Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface    (netstat -rn)
//   0.0.0.0         10.74.107.154   0.0.0.0         UG    0      0        0 eth0
//   192.168.9.0     -               255.255.255.0   !     0      -        0 -
//   192.168.226.64  0.0.0.0         255.255.255.192 U     0      0        0 *
//
//   Kernel IPv6 routing table
//   Destination                    Next Hop                   Flag Met Ref  Use If
//   fd00:168:2::/64                fd00:74::62                UG   1024 1      0 eth0
//   fd00:74::63/128                ::                         Un   0   3      0 eth0
//   0.0.0.0/96                     ::                         !n   1024 1      0 lo      (::ffff:0.0.0.0/96)
//
// Flags (route(8)): U up, G via a gateway, H host route, ! reject (unreachable
// or prohibit). A gateway of 0.0.0.0 or `::` (or `*` without -n) means on-link.
// An interface `*` or `-` means no device: with `!` the route is unreachable,
// without it a blackhole (the kernel has no device-less unicast route). IPv6
// `n` (no next hop) /128 routes and ff00::/8 live in the local table.
// Columns are found by the header's names, so both tools and both families
// read the same; `route` without -n prints names (`default`, `_gateway`),
// which are not addresses: such a row is one warning and dropped.
import type { Route, RouteType, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, isIP, isIPv4, isIPv6, isPlaceholderAddress, placeholderWarning } from './tokens.ts';

// A paste wrapped in markdown emphasis (`_Kernel IP routing table` … `cni0_`, not in a code fence)
// opens the title with the marker and closes it on the table's last line.
const TITLE = /^(_{1,2}|\*{1,2})?Kernel IP(?:v6)? routing table\s*$/;

/**
 * The line of the table's last row and the marker to take off its end, when the title opened
 * markdown emphasis and that row closes it: the marker is the paste's, not part of the device name.
 */
function emphasisClose(lines: string[]): { at: number; marker: string } | undefined {
  const opening = lines.findIndex((l) => l.trim() !== '');
  const marker = opening >= 0 ? TITLE.exec(lines[opening]!.trim())?.[1] : undefined;
  if (marker === undefined) return undefined;
  for (let at = lines.length - 1; at > opening; at--) {
    const line = lines[at]!.trimEnd();
    if (line === '') continue;
    return line.endsWith(marker) && !line.endsWith(` ${marker}`) ? { at, marker } : undefined;
  }
  return undefined;
}

/** `255.255.255.0` → 24; undefined when the mask is not contiguous. */
function maskLength(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') : undefined;
}

export function parseRouteTable(text: string, source: DumpSource): ParseResult<Route> {
  const first = source.firstLine ?? 1;
  const records: Route[] = [];
  const warnings: Warning[] = [];
  let columns: string[] | undefined;
  let namesWarned = false;
  const lines = text.split('\n');
  const emphasis = emphasisClose(lines);
  if (emphasis) {
    const closing = lines[emphasis.at]!.trimEnd();
    lines[emphasis.at] = closing.slice(0, closing.length - emphasis.marker.length);
    warnings.push({
      file: source.file,
      line: first + emphasis.at,
      message: `markdown emphasis: the title opens with \`${emphasis.marker}\` and this line closes it; read without the \`${emphasis.marker}\``,
      text: closing.slice(0, 200),
    });
  }
  lines.forEach((raw, n) => {
    const line = first + n;
    const trimmed = raw.trim();
    if (trimmed === '' || TITLE.test(trimmed)) return;
    const words = trimmed.split(/\s+/);
    if (words[0] === 'Destination') {
      // `Next Hop` is one column of the IPv6 header.
      columns = trimmed.replace('Next Hop', 'Next_Hop').split(/\s+/);
      return;
    }
    const warn = (message: string): void => {
      warnings.push({ file: source.file, line, message, text: raw.slice(0, 200) });
    };
    if (!columns) {
      warn('not understood as route -n / netstat -rn output (no `Destination Gateway …` header before it), skipped');
      return;
    }
    if (words.length !== columns.length) {
      warn(`row has ${words.length} columns, the header has ${columns.length}; skipped`);
      return;
    }
    const cell = (...names: string[]): string | undefined => {
      for (const name of names) {
        const at = columns!.indexOf(name);
        if (at >= 0) return words[at];
      }
      return undefined;
    };
    const destination = cell('Destination') ?? '';
    const gateway = cell('Gateway', 'Next_Hop') ?? '';
    const flags = cell('Flags', 'Flag') ?? '';
    const iface = cell('Iface', 'If') ?? '';
    const metricText = cell('Metric', 'Met');
    const placeholder = [destination, gateway, cell('Genmask') ?? ''].find(isPlaceholderAddress);
    if (placeholder !== undefined) {
      warnings.push(placeholderWarning(source.file, line, placeholder, 'route', raw.slice(0, 200)));
      return;
    }
    if (!/^[UGHRDMACn!ea]+$/.test(flags)) {
      warn(`flags "${flags}" are not route(8) flags (U, G, H, ! …); skipped`);
      return;
    }
    let dst: string;
    let family: 4 | 6;
    if (destination.includes('/') || columns.includes('Next_Hop')) {
      const [printed, length] = destination.split('/');
      // net-tools prints an IPv4-mapped prefix (`::ffff:0.0.0.0/96`) as the bare dotted quad
      // (`0.0.0.0/96`) in its IPv6 table (recorded: test/corpus/formats/netstat-6-rn-v4mapped.txt).
      const address = columns.includes('Next_Hop') && printed !== undefined && isIPv4(printed) ? `::ffff:${printed}` : printed;
      if (!address || !isIPv6(address) || length === undefined || !/^\d{1,3}$/.test(length) || Number(length) > 128) {
        if (!isIP(address ?? '') && !namesWarned) {
          namesWarned = true;
          return warn(`"${destination}" is not an IPv6 prefix (route without -n prints names): skipped; run \`route -6 -n\``);
        }
        return warn(`"${destination}" is not an IPv6 prefix; skipped`);
      }
      family = 6;
      dst = Number(length) === 0 ? 'default' : `${address}/${length}`;
    } else {
      const length = maskLength(cell('Genmask') ?? '');
      if (!isIPv4(destination) || length === undefined) {
        return warn(
          isIPv4(destination) ? `genmask "${cell('Genmask') ?? ''}" is not a netmask; skipped` : `"${destination}" is not an address (route without -n prints names like default): skipped; run \`route -n\``,
        );
      }
      family = 4;
      dst = length === 0 ? 'default' : `${destination}/${length}`;
    }
    const onLinkGateway = gateway === '0.0.0.0' || gateway === '::' || gateway === '*' || gateway === '-';
    if (!onLinkGateway && !isIP(gateway)) return warn(`gateway "${gateway}" is not an address (route without -n prints names): skipped; run \`route -n\``);
    const noDevice = iface === '*' || iface === '-';
    let type: RouteType = 'unicast';
    let table = 'main';
    if (flags.includes('!')) type = 'unreachable';
    else if (noDevice) type = 'blackhole';
    else if (family === 6 && dst.endsWith('/128') && flags.includes('n') && !flags.includes('G')) {
      type = 'local';
      table = 'local';
    } else if (family === 6 && dst === 'ff00::/8') {
      type = 'multicast';
      table = 'local';
    }
    const route: Route = { table, type, dst, family, onlink: false, source: { file: source.file, line } };
    if (flags.includes('G') && !onLinkGateway) route.via = gateway;
    if (!noDevice) route.dev = iface;
    // `ip route` leaves metric 0 out; so does this record, so the two dumps name one route alike.
    if (metricText !== undefined && /^\d{1,10}$/.test(metricText) && Number(metricText) !== 0) route.metric = Number(metricText);
    records.push(route);
  });
  markOnlink(records);
  return { records, warnings };
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function ipv4Contains(cidr: string, address: string): boolean {
  const [network, length] = cidr.split('/');
  const size = 2 ** (32 - Number(length));
  return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(network!) / size);
}

/**
 * The table does not print `onlink`, but the kernel accepts a gateway outside
 * every connected subnet of the device only with it (fib_check_nh: -ENETUNREACH
 * otherwise), so such a route was added onlink (Flannel's `via 10.244.1.0 dev flannel.1`).
 */
function markOnlink(records: Route[]): void {
  for (const route of records) {
    if (route.family !== 4 || route.via === undefined || !isIPv4(route.via)) continue;
    const connected = records.some((r) => r.family === 4 && r.via === undefined && r.dev === route.dev && r.type === 'unicast' && r.dst !== 'default' && ipv4Contains(r.dst, route.via!));
    if (!connected) route.onlink = true;
  }
}

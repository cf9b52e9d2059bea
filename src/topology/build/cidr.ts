// Address arithmetic the builder needs, on top of ip-num (wrapped here so the
// rest of the code deals in plain strings).
import { IPv4, IPv4CidrRange, IPv6CidrRange } from 'ip-num';

function v4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** True when `address` lies in `cidr` ('default' contains everything of its family). */
export function cidrContains(cidr: string, address: string): boolean {
  if (cidr === 'default') return !address.includes(':');
  const [network, lengthText] = cidr.split('/');
  const length = Number(lengthText ?? (network?.includes(':') ? 128 : 32));
  if (!network) return false;
  if (!network.includes(':') && !address.includes(':')) {
    const a = v4ToNumber(address);
    const n = v4ToNumber(network);
    if (a === undefined || n === undefined || !(length >= 0 && length <= 32)) return false;
    const size = 2 ** (32 - length);
    return Math.floor(a / size) === Math.floor(n / size);
  }
  if (network.includes(':') && address.includes(':')) {
    try {
      return IPv6CidrRange.fromCidr(`${network}/${length}`).contains(IPv6CidrRange.fromCidr(`${address}/128`));
    } catch {
      return false;
    }
  }
  return false;
}

/** The network an address/prefix sits in, in CIDR form (`192.168.1.1/24` → `192.168.1.0/24`). */
export function networkOf(address: string, prefixLength: number): string | undefined {
  if (address.includes(':')) return undefined;
  try {
    const range = IPv4CidrRange.fromCidr(`${address}/${prefixLength}`);
    return `${range.getFirst().toString()}/${prefixLength}`;
  } catch {
    return undefined;
  }
}

export function prefixLengthOf(cidr: string): number {
  return Number(cidr.split('/')[1] ?? 32);
}

export function isIPv4Address(text: string): boolean {
  try {
    IPv4.fromString(text);
    return true;
  } catch {
    return false;
  }
}

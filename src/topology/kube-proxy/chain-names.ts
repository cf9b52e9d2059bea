// kube-proxy's iptables chain names, recomputed the way
// kubernetes pkg/proxy/iptables/proxier.go does it:
//
//   servicePortChainName  = "KUBE-SVC-" + portProtoHash(servicePortName, protocol)
//   portProtoHash(s, p)   = base32(sha256(s + p))[:16]        (RFC 4648, upper case)
//   endpoint chain        = "KUBE-SEP-" + base32(sha256(s + p + "ip:port"))[:16]
//
// where s is ServicePortName.String(): "namespace/name:portName", or
// "namespace/name" when the port has no name, and p the lower-case protocol.
// KUBE-EXT-, KUBE-FW- and KUBE-SVL- use the same hash as KUBE-SVC-.
// The names fit iptables' 28-character chain limit; the hash is why a dump
// without comments can still be named when the candidate names are known.
import { createHash } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first `chars` characters of the RFC 4648 base32 encoding (no padding needed below the full length). */
function base32Prefix(bytes: Uint8Array, chars: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
      if (out.length === chars) return out;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0 && out.length < chars) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function hash16(text: string): string {
  return base32Prefix(createHash('sha256').update(text, 'utf8').digest(), 16);
}

export interface ServicePortRef {
  namespace: string;
  name: string;
  /** Empty or absent for a service whose port has no name. */
  portName?: string;
}

/** ServicePortName.String(): "ns/name:port", or "ns/name" for an unnamed port. */
export function servicePortNameString(ref: ServicePortRef): string {
  const base = `${ref.namespace}/${ref.name}`;
  return ref.portName ? `${base}:${ref.portName}` : base;
}

/** The 16-character hash shared by KUBE-SVC-, KUBE-EXT-, KUBE-FW- and KUBE-SVL- chains. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol.toLowerCase());
}

export function serviceChainName(servicePortName: string, protocol: string): string {
  return `KUBE-SVC-${portProtoHash(servicePortName, protocol)}`;
}

export function externalChainName(servicePortName: string, protocol: string): string {
  return `KUBE-EXT-${portProtoHash(servicePortName, protocol)}`;
}

/** `endpoint` is "ip:port" as kube-proxy prints it (IPv6 would be "[ip]:port"). */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hash16(servicePortName + protocol.toLowerCase() + endpoint)}`;
}

/** kube-proxy's per-rule probability for the i-th of n endpoints: fmt.Sprintf("%0.10f", 1/(n-i)). */
export function ruleProbabilityText(remaining: number): string {
  // Go rounds the exact binary value half-to-even; toFixed rounds exact ties up.
  // A tie at the 11th digit only happens when 1/n is exact in binary (n a power
  // of two, e.g. 2048 → 0.00048828125), so those are done in exact integers.
  if (Number.isInteger(remaining) && remaining > 0 && (remaining & (remaining - 1)) === 0) {
    const exponent = Math.log2(remaining);
    // 1/2^e = 5^e / 10^e exactly; scale to 10 decimals with integer arithmetic.
    const numerator = 5n ** BigInt(exponent);
    let scaled: bigint;
    if (exponent <= 10) scaled = numerator * 10n ** BigInt(10 - exponent);
    else {
      const divisor = 10n ** BigInt(exponent - 10);
      scaled = numerator / divisor;
      const rest = numerator % divisor;
      if (rest * 2n > divisor || (rest * 2n === divisor && scaled % 2n === 1n)) scaled += 1n;
    }
    const digits = scaled.toString().padStart(11, '0');
    return `${digits.slice(0, -10)}.${digits.slice(-10)}`;
  }
  return (1 / remaining).toFixed(10);
}

/**
 * kube-proxy nftables mode's chain-name base (pkg/proxy/nftables/proxier.go hashAndTruncate):
 * base32(sha256(name))[:8] + "-" + name, cut to 112 characters ("..." at the end), where name is
 * "namespace/name/protocol/portName" for a service port and "…/portName__ip/port" for an endpoint.
 */
export function nftChainNameBase(name: string): string {
  const full = `${base32Prefix(createHash('sha256').update(name, 'utf8').digest(), 8)}-${name}`;
  return full.length > 112 ? `${full.slice(0, 109)}...` : full;
}

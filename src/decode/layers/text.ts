// Address and byte formatting shared by the layer modules. Tables instead of
// toString(16) so formatting a MAC or an address stays cheap in --json output.

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function hexByte(byte: number): string {
  return HEX2[byte & 0xff] as string;
}

/** aa:bb:cc:dd:ee:ff */
export function macText(data: Uint8Array, at: number): string {
  return (
    HEX2[data[at] as number] + ':' + HEX2[data[at + 1] as number] + ':' + HEX2[data[at + 2] as number] + ':' +
    HEX2[data[at + 3] as number] + ':' + HEX2[data[at + 4] as number] + ':' + HEX2[data[at + 5] as number]
  );
}

/** Colon-separated hex of any length (link-layer addresses in cooked captures). */
export function hexColons(data: Uint8Array, at: number, length: number): string {
  const parts: string[] = [];
  for (let i = 0; i < length; i++) parts.push(HEX2[data[at + i] ?? 0] as string);
  return parts.join(':');
}

export function hexString(data: Uint8Array, at: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += HEX2[data[at + i] ?? 0];
  return out;
}

export function ipv4Text(data: Uint8Array, at: number): string {
  return DEC[data[at] as number] + '.' + DEC[data[at + 1] as number] + '.' + DEC[data[at + 2] as number] + '.' + DEC[data[at + 3] as number];
}

/** RFC 5952 text: lower case, longest run (≥ 2) of zero groups as ::, IPv4-mapped tail kept as hex like tshark. */
export function ipv6Text(data: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((data[at + 2 * i] as number) << 8) | (data[at + 2 * i + 1] as number));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLength).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** Latin-1 view of bytes (every byte one character), for protocol text such as HTTP heads. */
export function latin1(data: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(data[i] as number);
  return out;
}

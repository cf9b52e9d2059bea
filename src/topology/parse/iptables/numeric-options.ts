// The numbers inside rule options, read strictly: `--probability 0.5x` is refused by
// iptables-restore ("Bad probability"), so podpath refuses the rule with a warning
// on its line instead of reading NaN into a kube-proxy share or a trace's draw.
// Only the options whose values podpath computes with are checked; others stay text.

const UNSIGNED = /^\d{1,10}$/;
/** iptables reads marks with strtoul(…, 0): decimal or 0x hex, optionally /mask. */
const MARK_PART = /^(?:0x[0-9a-f]{1,8}|\d{1,10})$/i;
const PROBABILITY = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

/** `80`, `1024:`, `:1023`, `1000:2000` (tcp/udp); multiport also uses `a,b,c:d`. */
function isPortRange(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon < 0) return isPort(text);
  const lo = text.slice(0, colon);
  const hi = text.slice(colon + 1);
  return (lo === '' || isPort(lo)) && (hi === '' || isPort(hi)) && (lo !== '' || hi !== '');
}

function isMark(text: string): boolean {
  const [value = '', mask, extra] = text.split('/');
  return extra === undefined && MARK_PART.test(value) && Number(value) <= 0xffffffff && (mask === undefined || (MARK_PART.test(mask) && Number(mask) <= 0xffffffff));
}

function isUnsigned(text: string): boolean {
  return UNSIGNED.test(text) && Number(text) <= 0xffffffff;
}

/** What a numeric option expects, or undefined when its value is fine (or not a number podpath reads). */
export function numericOptionError(module: string, option: string, args: readonly string[], start: number, end: number): string | undefined {
  // Called for every long option of every rule: no allocation unless the value is wrong.
  const value = args[start];
  const expect = (ok: (text: string) => boolean, what: string): string | undefined =>
    value !== undefined && end - start === 1 && ok(value) ? undefined : `--${option} ${args.slice(start, end).join(' ')}: expected ${what}`;
  switch (option) {
    case 'probability':
      return module === 'statistic' ? expect((t) => PROBABILITY.test(t) && Number(t) <= 1, 'a number between 0 and 1') : undefined;
    case 'every':
    case 'packet':
      return module === 'statistic' ? expect(isUnsigned, 'a whole number') : undefined;
    case 'dport':
    case 'sport':
    case 'destination-port':
    case 'source-port':
      return module === 'multiport' ? expect((t) => t.split(',').every(isPortRange), 'ports (1,2,1000:2000)') : expect(isPortRange, 'a port or a port range (1000:2000)');
    case 'dports':
    case 'sports':
    case 'ports':
    case 'destination-ports':
    case 'source-ports':
      return expect((t) => t.split(',').every(isPortRange), 'ports (1,2,1000:2000)');
    case 'mark':
    case 'set-mark':
    case 'set-xmark':
    case 'and-mark':
    case 'or-mark':
    case 'xor-mark':
      return expect(isMark, 'a mark (0x4000 or 0x4000/0x4000)');
    case 'seconds':
    case 'hitcount':
      return module === 'recent' ? expect(isUnsigned, 'a whole number') : undefined;
    default:
      return undefined;
  }
}

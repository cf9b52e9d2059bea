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

interface NumberCheck {
  ok: (text: string) => boolean;
  what: string;
}

// One object each, not a closure per call: every long option of every rule comes through here.
const PROBABILITY_CHECK: NumberCheck = { ok: (t) => PROBABILITY.test(t) && Number(t) <= 1, what: 'a number between 0 and 1' };
const WHOLE_CHECK: NumberCheck = { ok: isUnsigned, what: 'a whole number' };
const PORT_LIST_CHECK: NumberCheck = { ok: (t) => t.split(',').every(isPortRange), what: 'ports (1,2,1000:2000)' };
const PORT_CHECK: NumberCheck = { ok: isPortRange, what: 'a port or a port range (1000:2000)' };
const MARK_CHECK: NumberCheck = { ok: isMark, what: 'a mark (0x4000 or 0x4000/0x4000)' };

/** How option `option` of `module` is checked, if it is one podpath computes with. */
export function checkOf(module: string, option: string): NumberCheck | undefined {
  switch (option) {
    case 'probability':
      return module === 'statistic' ? PROBABILITY_CHECK : undefined;
    case 'every':
    case 'packet':
      return module === 'statistic' ? WHOLE_CHECK : undefined;
    case 'dport':
    case 'sport':
    case 'destination-port':
    case 'source-port':
      return module === 'multiport' ? PORT_LIST_CHECK : PORT_CHECK;
    case 'dports':
    case 'sports':
    case 'ports':
    case 'destination-ports':
    case 'source-ports':
      return PORT_LIST_CHECK;
    case 'mark':
    case 'set-mark':
    case 'set-xmark':
    case 'and-mark':
    case 'or-mark':
    case 'xor-mark':
      return MARK_CHECK;
    case 'seconds':
    case 'hitcount':
      return module === 'recent' ? WHOLE_CHECK : undefined;
    default:
      return undefined;
  }
}

/** What a numeric option expects, or undefined when its value is fine (or not a number podpath reads). */
export function numericOptionError(module: string, option: string, args: readonly string[], start: number, end: number): string | undefined {
  const check = checkOf(module, option);
  if (check === undefined) return undefined;
  const value = args[start];
  if (value !== undefined && end - start === 1 && check.ok(value)) return undefined;
  return `--${option} ${args.slice(start, end).join(' ')}: expected ${check.what}`;
}

// Text from dumps and captures is untrusted: a hostile HTTP header or interface
// alias could carry terminal escape sequences. Everything printed goes through
// here, so control characters are shown as visible escapes instead of acting.

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes a string safe to print on one terminal line (newlines escaped too). */
export function sanitizeLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapeChar);
}

/** Makes multi-line text safe to print: keeps \n and \t, escapes other controls. */
export function sanitizeText(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  if (code === 0x1b) return '\\e';
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

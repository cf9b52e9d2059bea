// Ink's key events → the key presses they hold. Ink 6 (input-parser.js) cuts a stdin chunk
// only at escape sequences: everything between them is handed to useInput as one event,
// and parse-keypress names a key only when the event is that key alone. So `j` and Enter
// arriving in one write (tmux send-keys, a paste, laggy SSH) reach us as input 'j\r' with
// no key flag set, and the Enter was lost. Here such an event is split into one press per
// character, each named by the rules parse-keypress applies to a lone character.
import type { KeyPress } from './state-model.ts';

export interface Press {
  input: string;
  key: KeyPress;
}

/** One character as Ink would report it had it arrived alone (the non-printing ones carry no input text, as in Ink). */
function pressOf(ch: string): Press {
  if (ch === '\r') return { input: '', key: { return: true } };
  if (ch === '\t') return { input: '', key: { tab: true } };
  if (ch === '\b') return { input: '', key: { backspace: true } };
  if (ch === '\x7f') return { input: '', key: { delete: true } };
  // Ink names '\n' "enter" but sets no key flag for it: it does nothing here either.
  if (ch === '\n') return { input: '', key: {} };
  // Ctrl+letter: 0x01-0x1a, Ink's input is the letter (Ctrl-C is input 'c' with ctrl).
  if (ch >= '\x01' && ch <= '\x1a') return { input: String.fromCharCode(ch.charCodeAt(0) + 96), key: { ctrl: true } };
  return { input: ch, key: /^[A-Z]$/.test(ch) ? { shift: true } : {} };
}

/** The presses in one Ink input event, in the order they were typed. */
export function keyPresses(input: string, key: KeyPress): Press[] {
  const chars = [...input];
  // A named key (an arrow, Esc, Alt+x) or a single character is already one press.
  if (chars.length <= 1 || key.ctrl || key.meta) return [{ input, key }];
  return chars.map(pressOf);
}

// Ink's key events → the key presses they hold. Ink 6 (input-parser.js) cuts a stdin chunk
// only at escape sequences: everything between them is handed to useInput as one event,
// and parse-keypress names a key only when the event is that key alone. So `j` and Enter
// arriving in one write (tmux send-keys, a paste, laggy SSH) reach us as input 'j\r' with
// no key flag set, and the Enter was lost. Here such an event is split into one press per
// character, each named by the rules parse-keypress applies to a lone character.
// Ink cuts at an escape sequence, so Esc and the key after it in one write come as one
// event Ink reads as Alt+key; for letters, digits and Enter that is undone below. Other
// characters after Esc (`/`, `?`) reach us with the Esc already stripped by Ink (use-input.js
// drops a leading ESC without a trace): that Esc cannot be recovered here.
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

const ESC: Press = { input: '', key: { escape: true } };
const NAMED: (keyof KeyPress)[] = ['upArrow', 'downArrow', 'leftArrow', 'rightArrow', 'pageUp', 'pageDown', 'home', 'end', 'tab', 'backspace', 'delete'];

/** The presses in one Ink input event, in the order they were typed. */
export function keyPresses(input: string, key: KeyPress): Press[] {
  // Esc then a letter, a digit or Enter in one write is, to Ink, Alt+that key (parse-keypress's
  // meta rule): the UI binds no Alt key, so it is the two presses it was typed as.
  if (key.meta && !key.escape && !key.ctrl && !NAMED.some((name) => key[name])) {
    if (key.return) return [ESC, pressOf('\r')];
    if ([...input].length === 1) return [ESC, pressOf(input)];
  }
  const chars = [...input];
  // A named key (an arrow, Esc, Alt+arrow) or a single character is already one press.
  if (chars.length <= 1 || key.ctrl || key.meta) return [{ input, key }];
  return chars.map(pressOf);
}

// Colours for the UI, with NO_COLOR (https://no-color.org) honoured in one place.
// chalk (under Ink) ignores NO_COLOR, so components never name a colour directly:
// they ask the theme, which answers undefined when colour is off. Selection and
// highlights then fall back to inverse/bold/underline, which NO_COLOR allows.
import type { Disposition } from '../trace/model.ts';
import { outcomeOf, type Outcome } from '../trace/outcome.ts';

export interface Theme {
  color: boolean;
  /** Ink colour name for a role, or undefined when colour is off. */
  c(role: Role): string | undefined;
}

export type Role = 'ok' | 'bad' | 'warn' | 'accent' | 'dim' | 'changed' | 'encap' | 'mark' | 'focus';

const palette: Record<Role, string> = {
  ok: 'green',
  bad: 'red',
  warn: 'yellow',
  accent: 'cyan',
  dim: 'gray',
  changed: 'yellow',
  encap: 'magenta',
  mark: 'yellow',
  focus: 'cyan',
};

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  // The spec: NO_COLOR present and not empty disables colour.
  const color = !(typeof env['NO_COLOR'] === 'string' && env['NO_COLOR'] !== '');
  return { color, c: (role) => (color ? palette[role] : undefined) };
}

/** The colour of an ending: green when it got there, yellow when the dumps do not say, red otherwise. */
export function dispositionRole(disposition: Disposition): Role {
  const role: Record<Outcome, Role> = { success: 'ok', unknown: 'warn', refused: 'bad', failure: 'bad' };
  return role[outcomeOf(disposition)];
}

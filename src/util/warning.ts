// A warning is data until it is shown: parsers, the builder, the tracer and the explainer
// all hand back `Warning` objects, and every place that prints one calls formatWarning, so
// the CLI, --json readers and the UI say the same thing the same way.

export interface Warning {
  /** The file the warning is about ('trace' or 'explain' for a stage's own warnings). */
  file: string;
  /** 1-based line (or 0 when the warning is about the file as a whole). */
  line: number;
  message: string;
  /** The offending text, when there is a line to show. */
  text?: string;
}

/** `file:line: message (text)`; the line is left out when it is 0. */
export function formatWarning(w: Warning): string {
  return `${w.file}${w.line > 0 ? `:${w.line}` : ''}: ${w.message}${w.text ? ` (${w.text})` : ''}`;
}

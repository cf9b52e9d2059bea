// A warning is data until it is shown: parsers, the builder, the tracer and the explainer
// all hand back `Warning` objects, and every place that prints one calls formatWarning, so
// the CLI, --json readers and the UI say the same thing the same way.

export interface Warning {
  /** The file the warning is about ('trace' or 'explain' for a stage's own warnings). */
  file: string;
  /**
   * 1-based line of the text at fault. Left out (never 0) when no line is at fault: the
   * warning is about a whole file (empty, binary, unreadable), about something the dumps do
   * not contain (a pod without an IPv4 address, a node without an underlay address), or it
   * is a stage's own (file 'trace' or 'explain'). Readers test `line !== undefined`.
   */
  line?: number;
  message: string;
  /** The offending text, when there is a line to show. */
  text?: string;
}

/** `file:line: message (text)`; `file: message` when there is no line. */
export function formatWarning(w: Warning): string {
  return `${w.file}${w.line !== undefined ? `:${w.line}` : ''}: ${w.message}${w.text ? ` (${w.text})` : ''}`;
}

/** A warning about `where` (a dump line when one is known, else only its file). */
export function warningAt(where: { file: string; line?: number } | undefined, fallbackFile: string, message: string): Warning {
  const file = where?.file ?? fallbackFile;
  return where?.line !== undefined && where.line > 0 ? { file, line: where.line, message } : { file, message };
}

// podpath's own errors. The CLI prints `error.message` as one line and exits
// non-zero; anything that is not a PodpathError is a bug (exit 70).

/**
 * What scripts may rely on, said by `podpath --help` and the README. 1 is a finding about the
 * network (a path that does not deliver, trouble in the captures); 2 means podpath could not do
 * what was asked with what it was given; 70 is always a bug in podpath.
 */
export const EXIT = { ok: 0, fails: 1, usage: 2, internal: 70, interrupted: 130 } as const;

export class PodpathError extends Error {
  override name = 'PodpathError';
}

/** Bad command-line usage (exit status 2). */
export class UsageError extends PodpathError {
  override name = 'UsageError';
}

/** A capture could not be read any further. */
export class CaptureError extends PodpathError {
  override name = 'CaptureError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: byte ${offset}: ${reason}`, options);
  }
}

/** A trace that breaks the model's invariants (trace/factory.ts): a bug in podpath, never a user error (exit 70). */
export class TraceInvariantError extends Error {
  override name = 'TraceInvariantError';
}

/** The explainer pane was closed while it ran (ui/explain/run.ts); nothing is reported. */
export class ExplainAborted extends Error {
  override name = 'ExplainAborted';
}

/**
 * Inside a recovering parser: this piece of the input cannot be read. Never leaves the parser,
 * which catches it and turns the piece into a warning (or an unknown expression) and goes on.
 */
export class UnreadableInput extends Error {
  override name = 'UnreadableInput';
  /** The input's line, when the parser knows it (YAML nodes do); 0 when it does not. */
  constructor(message = 'unreadable', readonly line = 0) {
    super(message);
  }
}

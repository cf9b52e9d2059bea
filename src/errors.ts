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

/** A dump could not be used at all. Partly understood dumps give warnings instead. */
export class DumpParseError extends PodpathError {
  override name = 'DumpParseError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${reason}`, options);
  }
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

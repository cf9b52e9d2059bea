// Helpers for driving Ink frames in tests.
export const KEY = {
  down: '\u001B[B',
  up: '\u001B[A',
  left: '\u001B[D',
  right: '\u001B[C',
  tab: '\t',
  enter: '\r',
  escape: '\u001B',
} as const;

/** Waits until the frame satisfies `check` (Ink renders asynchronously), or fails with the last frame. */
export async function frameWhere(lastFrame: () => string | undefined, check: (frame: string) => boolean, timeoutMs = 2000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const frame = lastFrame() ?? '';
    if (check(frame)) return frame;
    if (Date.now() > until) throw new Error(`frame never matched; last frame:\n${frame}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Screen text without box-drawing borders and without any whitespace, so text wrapped over rows can be searched. */
export function squeeze(text: string): string {
  return text.replace(/[│║┃]/g, '').replace(/\s+/g, '');
}

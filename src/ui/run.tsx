// Starts the full-screen UI. Imported lazily by `podpath ui` only when stdout is a
// terminal, so text output and --json never load React or Ink.
import { render, useApp, useInput } from 'ink';
import type { ReactNode } from 'react';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';
import { App } from './App.tsx';
import { captureStarter } from './capture/start.ts';
import { explainStarter } from './explain/start.ts';
import type { UiAction } from './state.ts';
import { makeTheme } from './theme.ts';
import type { Explanation } from '../explain/model.ts';

/** `r` in the UI: the report of what it shows, in the current folder under a name of its own. */
async function writeUiReport(input: InteractiveInput, explanation: Explanation | undefined): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const { renderReportFor } = await import('../report/write.ts');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const file = `podpath-report-${stamp}.html`;
  const html = await renderReportFor(input.trace, input.topology, explanation, ['podpath', ...process.argv.slice(2)].join(' '));
  await writeFile(file, html, { flag: 'wx' });
  return file;
}

export interface InteractiveInput {
  trace: TraceResult;
  topology: Topology;
  warnings: string[];
  captures: string[];
}

// The alternate screen keeps the user's scrollback intact: on quit the terminal
// shows what it showed before, as less and vim do.
const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';

/**
 * Ctrl-C in the UI: the terminal is in raw mode, so it arrives as a key rather than SIGINT.
 * It ends the UI like q does, and the command exits 130 as an interrupted program does.
 */
function Interruptible({ onInterrupt, children }: { onInterrupt: () => void; children: ReactNode }): ReactNode {
  const { exit } = useApp();
  useInput((text, key) => {
    if (key.ctrl && text === 'c') {
      onInterrupt();
      exit();
    }
  });
  return children;
}

/** Runs the UI until q ('quit') or Ctrl-C ('interrupted'). */
export async function startInteractiveUI(input: InteractiveInput): Promise<'quit' | 'interrupted'> {
  const theme = makeTheme();
  let startCapture: ((dispatch: (a: UiAction) => void) => () => void) | undefined;
  let startExplain: ((dispatch: (a: UiAction) => void) => () => void) | undefined;
  let explanation: Explanation | undefined;
  if (input.captures.length > 0) {
    startExplain = explainStarter(input.captures, input.topology, (e) => {
      explanation = e;
    });
    // The decoder is loaded only when a capture is given.
    startCapture = captureStarter(input.captures, input.topology, input.trace, await import('../decode/index.ts'));
  }
  process.stdout.write(ENTER_ALT_SCREEN);
  try {
    let interrupted = false;
    const instance = render(
      <Interruptible onInterrupt={() => (interrupted = true)}>
        <App
          trace={input.trace}
          topology={input.topology}
          warnings={input.warnings}
          theme={theme}
          writeReport={() => writeUiReport(input, explanation)}
          {...(startCapture ? { startCapture } : {})}
          {...(startExplain ? { startExplain } : {})}
        />
      </Interruptible>,
      { exitOnCtrlC: false },
    );
    await instance.waitUntilExit();
    return interrupted ? 'interrupted' : 'quit';
  } finally {
    process.stdout.write(LEAVE_ALT_SCREEN);
  }
}

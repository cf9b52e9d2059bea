// Starts the full-screen UI. Imported lazily by `podpath ui` only when stdout is a
// terminal, so text output and --json never load React or Ink.
import { render } from 'ink';
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';
import { App } from './App.tsx';
import { workerCaptureStarter } from './capture/start.ts';
import { explainStarter, readableAgain, workerExplainStarter } from './explain/start.ts';
import type { UiAction } from './state.ts';
import { makeTheme } from './theme.ts';
import type { Explanation } from '../explain/model.ts';
import type { LoadOptions } from '../topology/load.ts';

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
  /**
   * The inputs and options the topology was loaded from: given, and when they can be read
   * again (explain/start.ts readableAgain), the Explain pane's explainer runs on a thread of its
   * own (explain/worker.ts), which loads the topology from them again.
   */
  loadedFrom?: { inputs: string[]; options: LoadOptions };
}

// The alternate screen keeps the user's scrollback intact: on quit the terminal
// shows what it showed before, as less and vim do.
const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';

/** Frames a second at most: a 10 ms wait at worst between a key and its frame. */
const MAX_FPS = 100;

/** Runs the UI until q ('quit') or Ctrl-C ('interrupted'). */
export async function startInteractiveUI(input: InteractiveInput): Promise<'quit' | 'interrupted'> {
  const theme = makeTheme();
  let startCapture: ((dispatch: (a: UiAction) => void) => () => void) | undefined;
  let startExplain: ((dispatch: (a: UiAction) => void) => () => void) | undefined;
  let explanation: Explanation | undefined;
  if (input.captures.length > 0) {
    const keep = (e: Explanation): void => {
      explanation = e;
    };
    startExplain =
      input.loadedFrom && readableAgain(input.loadedFrom.inputs)
        ? workerExplainStarter(input.captures, input.loadedFrom.inputs, input.loadedFrom.options, keep)
        : explainStarter(input.captures, input.topology, keep);
    // On a thread of its own, which loads the decoder (the UI's thread never does): the App
    // starts it on mount, once the first frame is up.
    startCapture = workerCaptureStarter(input.captures, input.topology, input.trace);
  }
  process.stdout.write(ENTER_ALT_SCREEN);
  try {
    let ended: 'quit' | 'interrupted' = 'quit';
    // Ctrl-C arrives as a key in raw mode (no SIGINT): the App's keymap ends the UI and
    // says it was interrupted, so the command exits 130 as an interrupted program does.
    // maxFps: Ink draws at most one frame per 1000/maxFps ms and holds a later one back to the
    // end of that wait. At its default 30, a key pressed within 33 ms of the last frame (a pane's
    // progress, the key before) waited for the rest of the 33 ms with the thread idle (profiled
    // while the Explain pane read 1,000,000 packets: most of a key's time from stdin to Ink's write).
    const instance = render(
      <App
        trace={input.trace}
        topology={input.topology}
        warnings={input.warnings}
        theme={theme}
        writeReport={() => writeUiReport(input, explanation)}
        onExit={(how) => (ended = how)}
        {...(startCapture ? { startCapture } : {})}
        {...(startExplain ? { startExplain } : {})}
      />,
      { exitOnCtrlC: false, maxFps: MAX_FPS },
    );
    await instance.waitUntilExit();
    return ended;
  } finally {
    process.stdout.write(LEAVE_ALT_SCREEN);
  }
}

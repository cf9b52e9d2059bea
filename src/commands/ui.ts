// `podpath ui <inputs...> --from … --to … [--capture FILE…]`: the interactive
// explorer. This file stays light: it loads the topology and runs the tracer (the
// core), then either prints the text trace (stdout or stdin not a terminal) or
// imports the Ink UI, so React is loaded only when a person will see it.
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors.ts';
import { escapeLine } from '../util/escape-text.ts';
import type { TraceRequest } from '../trace/query.ts';
import type { LoadOptions } from '../topology/load.ts';
import { addTraceOptions, traceRequestOf, type TraceRequestOptions } from './trace-request.ts';

interface UiOptions extends TraceRequestOptions {
  capture?: string[];
}

/** One line of progress on stderr while loading, erased before the UI starts. */
function progress(enabled: boolean): { say(text: string): void; done(): void } {
  if (!enabled) return { say: () => undefined, done: () => undefined };
  return {
    say: (text) => process.stderr.write(`\r\u001B[Kpodpath: ${escapeLine(text)}`),
    done: () => process.stderr.write('\r\u001B[K'),
  };
}

export function register(program: Command): void {
  const command = program
    .command('ui')
    .description('explore a trace hop by hop, the cluster diagram and captures in the terminal (prints the text trace when not on a terminal)')
    .argument('<inputs...>', 'bundle directory, dump files, or a transcript (as for podpath topology)');
  addTraceOptions(command)
    .option('--capture <file...>', 'pcap/pcapng captures to show beside the trace and explain (key e)')
    .action(async (inputs: string[], options: UiOptions) => {
      const request = traceRequestOf(options, 'ui');
      // A capture that cannot be opened is a mistake in the command line: say so before
      // the screen changes, rather than inside the capture pane.
      for (const file of options.capture ?? []) {
        const { statSync } = await import('node:fs');
        const stat = statSync(file, { throwIfNoEntry: false });
        if (!stat) throw new UsageError(`--capture ${file}: no such file`);
        if (!stat.isFile()) throw new UsageError(`--capture ${file}: not a file`);
      }
      const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
      const say = progress(interactive && Boolean(process.stderr.isTTY));

      // On an error the progress line is cleared first, so the message stands alone.
      const { loadOptionsOf } = await import('../topology/load.ts');
      const loadOptions = loadOptionsOf(options);
      const { topology, trace } = await loadAndTrace(inputs, loadOptions, options, request, say).finally(() => say.done());

      if (!interactive) {
        // Not a terminal (a pipe, a file, CI): the same text `podpath trace` prints.
        const { renderTrace } = await import('../trace/render.ts');
        const { exitStatusOf, traceQuery } = await import('../trace/trace.ts');
        process.stdout.write(renderTrace(trace));
        process.exitCode = exitStatusOf(trace);
        if (options.capture && options.capture.length > 0) {
          // What the Explain pane would show: `podpath explain`'s text for the same captures,
          // with the same topology and tracer. The status stays the trace's.
          const { explainFiles, renderText } = await import('../explain/index.ts');
          const explanation = await explainFiles(options.capture, topology, { trace: (t, request) => traceQuery(t, request) });
          process.stdout.write(`\n${renderText(explanation)}`);
        }
        return;
      }
      const captures = options.capture ?? [];
      say.say('opening the UI…');
      const { inputWarnings } = await import('../ui/warnings.ts');
      const { loadInteractiveUI } = await import('../ui/load-ink.ts');
      const { startInteractiveUI } = await loadInteractiveUI().finally(() => say.done());
      const ended = await startInteractiveUI({ trace, topology, warnings: inputWarnings(topology, trace), captures, loadedFrom: { inputs, options: loadOptions } });
      if (ended === 'interrupted') process.exitCode = EXIT.interrupted;
    });
}

async function loadAndTrace(inputs: string[], loadOptions: LoadOptions, options: UiOptions, request: TraceRequest, say: { say(text: string): void }) {
  say.say(`reading ${inputs.length === 1 ? inputs[0] : `${inputs.length} inputs`}…`);
  const { loadTopology } = await import('../topology/load.ts');
  const topology = await loadTopology(inputs, loadOptions);
  say.say(`tracing ${options.from} → ${options.to}…`);
  const { traceQuery } = await import('../trace/trace.ts');
  const trace = traceQuery(topology, request);
  return { topology, trace };
}

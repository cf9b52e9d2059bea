// `podpath report <inputs…> [--capture FILE…] --from … --to … -o report.html`: the trace (and,
// with captures, the explanation) as one self-contained HTML file to attach to a ticket.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { addTraceOptions, traceRequestOf, type TraceRequestOptions } from './trace-request.ts';

interface ReportOptions extends TraceRequestOptions {
  capture?: string[];
  output?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command): void {
  const command = program
    .command('report')
    .description('write one self-contained HTML report (diagram, verdicts, hop list with every rule and its dump line, topology, warnings, and the explanation of any captures): it opens offline and runs no script')
    .argument('<inputs...>', 'bundle directory, dump files, or a transcript (as for `podpath topology`)');
  addTraceOptions(command)
    .option('--capture <file>', 'a capture to explain beside the trace (repeatable)', collect)
    .option('-o, --output <file>', 'where to write the HTML (default: standard output when it is not a terminal)')
    .addHelpText('after', '\nExit status: 0 when every path is delivered and the captures show no trouble, 1 otherwise, 2 for bad usage.')
    .action(async (inputs: string[], options: ReportOptions) => {
      const request = traceRequestOf(options, 'report');
      if (options.output === undefined && process.stdout.isTTY) throw new UsageError('report: give -o FILE (the report is an HTML file, not for the terminal)');
      const { writeReport } = await import('../report/write.ts');
      process.exitCode = await writeReport(inputs, request, {
        captures: options.capture ?? [],
        ...(options.node !== undefined ? { node: options.node } : {}),
        ...(options.merge === true ? { merge: true } : {}),
        ...(options.output !== undefined ? { output: options.output } : {}),
        command: ['podpath', ...process.argv.slice(2)].join(' '),
      });
    });
}

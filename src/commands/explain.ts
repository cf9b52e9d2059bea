// `podpath explain <capture...> <inputs...>`: what the packets in captures mean in
// cluster terms, and whether they agree with the dumps. Light on purpose: the
// explainer is imported only when the command runs.
import type { Command } from 'commander';
import { MERGE_HELP } from './trace-request.ts';
import { collectPorts } from './options.ts';

/** Commander option parser for repeatable options: each use adds one value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function register(program: Command): void {
  program
    .command('explain')
    .description(
      'Explain captures in cluster terms: names every address, groups packets into connections, explains tunnels and service DNAT, lines up captures of the same packet as hops and says where and why it was lost. Captures are recognised by content; the other paths are dumps (as for `podpath topology`).',
    )
    .argument('<paths...>', 'capture files (pcap, pcapng; - reads one from stdin) and dump inputs (bundle directories, dump files, transcripts)')
    .option('--json', 'print the explanation as JSON (see docs/explain.md)')
    .option('--format <format>', 'text (default), json, or a picture of one connection\'s journey: svg, mermaid, dot (see docs/pictures.md)')
    .option('--connection <id>', 'with a picture format: the connection to draw (default: the first that found trouble)')
    .option('--node <name>', 'node name for loose dump files that do not say it')
    .option('--merge', MERGE_HELP)
    .option('--vxlan-port <port>', 'an extra UDP port to decode as VXLAN, repeatable or comma-separated (the dumps\' VXLAN ports are always added)', collectPorts('--vxlan-port'))
    .option('--no-trace', 'do not run the tracer: compare the captures with the dumps alone')
    .option('--at <file=node:iface>', 'where a capture was taken; wins over what its name, interface data and frames say (FILE=NODE for a pcapng naming its interfaces; repeatable)', collect)
    .addHelpText('after', '\nExit status: 0 when nothing is wrong, 1 when a capture disagrees with the model or shows a fault\n(lost packet, unanswered SYN, ICMP unreachable, VXLAN nobody listens to), 2 for bad usage.')
    .action(async (paths: string[], options: import('../explain/command.ts').ExplainCommandOptions) => {
      const { runExplain } = await import('../explain/command.ts');
      process.exitCode = await runExplain(paths, options);
    });
}

// `podpath topology <inputs...>`: reads node dumps into the cluster model and prints it.
import type { Command } from 'commander';
import { MERGE_HELP } from './trace-request.ts';

export function register(program: Command): void {
  program
    .command('topology')
    .description('read node and pod dumps (bundle directories, dump files, pasted transcripts) and print the cluster network they describe')
    .argument('<inputs...>', 'bundle directory, dump files, or a transcript (- reads a pasted transcript from stdin)')
    .option('--node <name>', 'node the loose dumps (and prompts without a host, like `$ ip a`) come from')
    .option('--json', 'print the Topology model as JSON (see docs/topology-json.md); netfilter chains give their rule counts')
    .option('--rules', 'with --json: every netfilter rule of every chain as well (large for a big kube-proxy node)')
    .option('--merge', MERGE_HELP)
    .action(async (inputs: string[], options: { node?: string; json?: boolean; rules?: boolean; merge?: boolean }) => {
      const { loadTopology, loadOptionsOf } = await import('../topology/load.ts');
      const { renderJson, writeSummary } = await import('../topology/summary.ts');
      const topology = await loadTopology(inputs, loadOptionsOf(options));
      if (options.json) process.stdout.write(renderJson(topology, { rules: options.rules === true }));
      else writeSummary(topology, (chunk) => process.stdout.write(chunk));
    });
}

// `podpath collect`: prints the collector script a user runs on each node.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('collect')
    .description('print a bash script that dumps this node\'s network state for podpath (podpath collect > collect.sh; sudo bash collect.sh)')
    .option('--out <dir>', 'folder the script writes the bundle into', 'podpath-bundle')
    .action(async (options: { out: string }) => {
      const { collectScript } = await import('../topology/inputs/collect-script.ts');
      process.stdout.write(collectScript(options.out));
    });
}

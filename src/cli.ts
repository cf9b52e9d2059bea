// The podpath command line. Each subcommand lives in src/commands/<name>.ts and
// exports `register(program)`; the modules are found by listing that folder, so
// adding a command touches no shared file. Command modules stay light and import
// their implementation (and Ink, for the UI) lazily inside the action.
import { Command, CommanderError } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PodpathError, UsageError } from './errors.ts';
import { escapeLine } from './util/escape-text.ts';

export interface CommandModule {
  register(program: Command): void;
}

const here = dirname(fileURLToPath(import.meta.url));

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function loadCommands(program: Command): Promise<void> {
  const folder = join(here, 'commands');
  const files = readdirSync(folder)
    // .ts when run from source, .js when run from the compiled dist/ folder.
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(folder, file)).href)) as Partial<CommandModule>;
    mod.register?.(program);
  }
}

export function buildProgram(): Command {
  return new Command()
    .name('podpath')
    .description(
      'Explains Kubernetes pod networking from node dumps (ip, bridge, iptables-save) and packet captures.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run podpath --help for usage)')
    .exitOverride();
}

/** Runs podpath with process-style argv and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await loadCommands(program);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error);
  }
}

/** The file-system errors a user causes, said in words rather than errno names. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links',
};

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed help, the version or its own message.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    if (error.code === 'commander.help') return 0;
    return 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`podpath: ${escapeLine(error.message)}\n`);
    return 2;
  }
  if (error instanceof PodpathError) {
    process.stderr.write(`podpath: ${escapeLine(error.message)}\n`);
    return 1;
  }
  const nodeError = error as NodeJS.ErrnoException;
  if (nodeError && typeof nodeError.code === 'string' && typeof nodeError.path === 'string') {
    // ENOENT, EACCES, EISDIR …: a user mistake, not a bug.
    const what = FILE_ERRORS[nodeError.code] ?? nodeError.message;
    process.stderr.write(`podpath: ${escapeLine(nodeError.path)}: ${escapeLine(what)}\n`);
    return 1;
  }
  if (nodeError && nodeError.code === 'EPIPE') return 0;
  // A bug in podpath. Users get one line; developers set PODPATH_DEBUG for the stack.
  if (process.env['PODPATH_DEBUG']) throw error;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`podpath: internal error: ${escapeLine(message)} (PODPATH_DEBUG=1 shows the stack)\n`);
  return 70;
}

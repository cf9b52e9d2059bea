// The podpath command line. Each subcommand lives in src/commands/<name>.ts and
// exports `register(program)`; the modules are found by listing that folder, so
// adding a command touches no shared file. Command modules stay light and import
// their implementation (and Ink, for the UI) lazily inside the action.
import { Command, CommanderError } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT, PodpathError } from './errors.ts';
import { escapeLine } from './util/escape-text.ts';

export interface CommandModule {
  register(program: Command): void;
}

const here = dirname(fileURLToPath(import.meta.url));

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Registers the commands. `podpath decode …` needs only commands/decode's module: importing
 * the others and the chunks they share was ~10 ms of every run's start-up (a tenth of
 * `decode --summary` on 1,000,000 packets past Node's own start). Anything else (help, a
 * misspelt command, `completion`, which lists its siblings) loads them all.
 */
async function loadCommands(program: Command, argv: string[]): Promise<void> {
  const folder = join(here, 'commands');
  const files = readdirSync(folder)
    // .ts when run from source, .js when run from the compiled dist/ folder.
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const named = argv[2];
  const own = named === undefined || named === 'completion' ? undefined : files.find((f) => f === `${named}.ts` || f === `${named}.js`);
  if (own !== undefined) {
    const mod = (await import(pathToFileURL(join(folder, own)).href)) as Partial<CommandModule>;
    // A helper module (options.ts) registers nothing: then the word is no command, and all are loaded.
    if (mod.register) return mod.register(program);
  }
  // Imported together, so their file reads overlap instead of queuing one behind another;
  // registered in name order, so help lists the commands as before.
  const modules = await Promise.all(files.map((file) => import(pathToFileURL(join(folder, file)).href) as Promise<Partial<CommandModule>>));
  for (const mod of modules) mod.register?.(program);
}

export function buildProgram(): Command {
  return new Command()
    .name('podpath')
    .description(
      'Explains Kubernetes pod networking from node dumps (ip, bridge, iptables-save) and packet captures.',
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run podpath --help for usage)')
    // tshark's -V means verbose (decode), but the program's own -V is --version and commander
    // would take it anywhere on the line. Positional options make the program read its options
    // only before the subcommand, so `podpath decode -V` reaches the command (`podpath -V`
    // still prints the version). Set here, not by decode's module: a run may load only its own command.
    .enablePositionalOptions()
    .exitOverride();
}

const EXIT_HELP = `
Exit status:
  0    ok: every path delivers, no trouble found
  1    a traced path does not deliver, or the explainer found trouble
  2    bad usage, or an input that cannot be used (missing, a directory, not a dump or
       capture, a capture damaged partway)
  70   internal error: a bug in podpath, please report it (PODPATH_DEBUG=1 shows the stack)
  130  interrupted (Ctrl-C), the terminal UI included
Output into a pipe that closes early (| head) ends quietly with the status so far.
`;

/**
 * A reader that goes away (`podpath topology --json | head -1`) ends the run quietly; Ctrl-C
 * (SIGINT, outside the UI's raw mode) ends it with 130 as shells expect.
 */
function installProcessHandlers(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? EXIT.ok);
    throw error;
  });
  process.stderr.on('error', () => undefined);
  process.once('SIGINT', () => process.exit(EXIT.interrupted));
}

/** Runs podpath with process-style argv and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  installProcessHandlers();
  const program = buildProgram().addHelpText('after', EXIT_HELP);
  try {
    // Lets the tests prove the internal-error path through the real command.
    if (process.env['PODPATH_CRASH_FOR_TEST'] === '1') throw new Error('crash requested by PODPATH_CRASH_FOR_TEST');
    await loadCommands(program, argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
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
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof PodpathError) {
    // UsageError, and inputs that could not be used (CaptureError, …).
    process.stderr.write(`podpath: ${escapeLine(error.message)}\n`);
    return EXIT.usage;
  }
  const nodeError = error as NodeJS.ErrnoException;
  if (nodeError && typeof nodeError.code === 'string' && FILE_ERRORS[nodeError.code] !== undefined) {
    // ENOENT, EACCES, EISDIR …: a user mistake, not a bug. A read on a directory's descriptor
    // carries no path; the commands name the file first where they can.
    const where = typeof nodeError.path === 'string' ? `${escapeLine(nodeError.path)}: ` : '';
    process.stderr.write(`podpath: ${where}${FILE_ERRORS[nodeError.code]}\n`);
    return EXIT.usage;
  }
  if (nodeError && nodeError.code === 'EPIPE') return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  // A bug in podpath: one line for users, the stack only when asked for.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`podpath: internal error: ${escapeLine(message)}\n`);
  process.stderr.write(
    process.env['PODPATH_DEBUG'] === '1' && error instanceof Error && error.stack
      ? `${error.stack}\n`
      : 'podpath: this is a bug in podpath, please report it with the command that caused it (PODPATH_DEBUG=1 shows the stack)\n',
  );
  return EXIT.internal;
}

// Running the real tools (ip, iptables, tcpdump, tshark, curl …) for the lab.
// Every command is run without a shell so addresses and names never need quoting.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export class LabCommandError extends Error {
  override name = 'LabCommandError';
  constructor(
    readonly command: string[],
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`lab command failed (${status ?? 'signal'}): ${command.join(' ')}\n${stderr.trim()}`);
  }
}

export interface RunOptions {
  input?: string;
  /** Exit statuses that are an expected answer rather than a failure (curl's 7 or 28). */
  okStatuses?: number[];
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and returns its output; throws LabCommandError on an unexpected exit status. */
export function run(command: string[], options: RunOptions = {}): RunResult {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('run: empty command');
  try {
    const stdout = execFileSync(file, args, {
      encoding: 'utf8',
      input: options.input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 64 * 1024 * 1024,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failure = error as { status?: number | null; stdout?: string; stderr?: string };
    const status = failure.status ?? null;
    if (status !== null && options.okStatuses?.includes(status)) {
      return { status, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
    }
    throw new LabCommandError(command, status, failure.stderr ?? String(error));
  }
}

/** The same command inside a network namespace. */
export function inNs(ns: string, command: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...command];
}

/**
 * A dump command run so that `ip` cannot turn peer namespace ids into our lab's
 * namespace names: `ip netns exec` gives the command a private mount namespace, and an
 * empty tmpfs over /run/netns there makes `ip` print `link-netnsid N`, as on the user's
 * nodes, instead of `link-netns pl-sf-pod1` (a name that exists only in the lab).
 */
export function dumpInNs(ns: string, command: string[]): string[] {
  return inNs(ns, ['sh', '-c', 'mount -t tmpfs lab-hide-netns /run/netns && exec "$@"', 'sh', ...command]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A long-running tool (tcpdump, xtables-monitor, a pod's server) that the lab stops itself. */
export class Background {
  private readonly stderrChunks: string[] = [];
  private readonly stdoutChunks: string[] = [];
  private exited: Promise<number | null>;

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.stderrChunks.push(d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.stdoutChunks.push(d));
    this.exited = new Promise((resolve) => {
      child.on('close', (code) => resolve(code));
      child.on('error', () => resolve(null));
    });
  }

  static start(label: string, command: string[], cwd?: string): Background {
    const [file, ...args] = command;
    if (file === undefined) throw new Error('Background.start: empty command');
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd === undefined ? {} : { cwd }) });
    return new Background(label, child);
  }

  get stderr(): string {
    return this.stderrChunks.join('');
  }

  get stdout(): string {
    return this.stdoutChunks.join('');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the tool printed `pattern` on stderr (tcpdump's "listening on"). */
  async waitForStderr(pattern: RegExp, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr)) {
      if (!this.running) throw new Error(`${this.label} exited early: ${this.stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Stops the tool by its own pid (SIGINT lets tcpdump flush its file), SIGKILL if it lingers. */
  async stop(signal: NodeJS.Signals = 'SIGINT', graceMs = 3_000): Promise<void> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => {
      if (this.running) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

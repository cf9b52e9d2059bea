// Recorded oracles. Every run of a Wireshark tool the tests compare podpath with (tshark's
// fields, streams and conversations; the captures editcap and mergecap write) is committed
// under test/oracles/, one JSON file per capture, each entry holding the exact command line,
// the tool's version, the sha256 of every input file and the tool's real output. So:
//   - without the tool (a fresh clone), the tests replay the committed output;
//   - with it, they run it live as well and fail when the record is stale or missing;
//   - `npm run oracles` (test/oracles/record.sh) re-records everything from the live tools.
// Expected values always come from the tool, never from podpath.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';
import { have } from './requires.ts';
import { repoRoot } from './run.ts';

export type OracleTool = 'tshark' | 'editcap' | 'mergecap';

export const oraclesDir = join(repoRoot, 'test', 'oracles');
const recording = (): boolean => process.env['PODPATH_RECORD_ORACLES'] === '1';
const strict = (): boolean => process.env['CI'] === 'true' || process.env['PODPATH_REQUIRE_ALL'] === '1';

interface Entry {
  command: string;
  /** sha256 of each input file, by its path as written in `command`. */
  inputs: Record<string, string>;
  recordedWith: string;
  stdout: string[];
  /** The file the tool wrote (editcap, mergecap -w), deflated and base64'd. */
  wrote?: { path: string; deflated: string };
}
type RecordFile = Record<string, Entry>;

export interface OracleOptions {
  /** The file the tool writes (it is replayed from the record when the tool is absent). */
  writes?: string;
}

const tmpRoot = resolve(tmpdir());

/** A path as written in a record: repository-relative, or $TMP/NAME for the tests' temp files. */
function shown(path: string): string {
  const full = resolve(path);
  if (full.startsWith(repoRoot)) return relative(repoRoot, full);
  if (full.startsWith(tmpRoot + sep)) return `$TMP/${basename(full)}`;
  return full;
}

const isFile = (arg: string): boolean => {
  try {
    return arg.includes('/') && statSync(arg).isFile();
  } catch {
    return false;
  }
};

/** An argument as a shell would need it, so a record's command line can be pasted and rerun. */
const quoted = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

interface Call {
  tool: OracleTool;
  args: string[];
  command: string;
  inputs: Record<string, string>;
  key: string;
  file: string;
  writes?: string;
}

function describeCall(tool: OracleTool, args: string[], options: OracleOptions): Call {
  const writes = options.writes === undefined ? undefined : resolve(options.writes);
  const inputs: Record<string, string> = {};
  for (const arg of args) if (resolve(arg) !== writes && isFile(arg)) inputs[shown(arg)] = sha256(readFileSync(arg));
  const command = [tool, ...args.map((a) => quoted(isFile(a) || (writes !== undefined && resolve(a) === writes) ? shown(a) : a))].join(' ');
  // Same command line on different content (two tests' $TMP/merged.pcapng) stays two entries.
  const key = `${command} #${sha256(JSON.stringify(inputs)).slice(0, 12)}`;
  const first = Object.keys(inputs)[0] ?? 'no-input';
  const file = join(oraclesDir, `${first.replace(/^\$TMP\//, 'tmp/')}.json`);
  return { tool, args, command, inputs, key, file, ...(writes === undefined ? {} : { writes }) };
}

const cache = new Map<string, RecordFile>();
function load(file: string): RecordFile {
  let records = cache.get(file);
  if (records === undefined) {
    records = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecordFile) : {};
    cache.set(file, records);
  }
  return records;
}

const versions = new Map<OracleTool, string>();
function versionOf(tool: OracleTool): string {
  let version = versions.get(tool);
  if (version === undefined) {
    version = execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
    versions.set(tool, version);
  }
  return version;
}

const lines = (stdout: string): string[] => stdout.split('\n');

function save(call: Call, stdout: string): void {
  const records = load(call.file);
  records[call.key] = {
    command: call.command,
    inputs: call.inputs,
    recordedWith: versionOf(call.tool),
    stdout: lines(stdout),
    ...(call.writes === undefined ? {} : { wrote: { path: shown(call.writes), deflated: deflateSync(readFileSync(call.writes), { level: 9 }).toString('base64') } }),
  };
  const sorted = Object.fromEntries(Object.entries(records).sort(([a], [b]) => a.localeCompare(b)));
  mkdirSync(dirname(call.file), { recursive: true });
  writeFileSync(call.file, `${JSON.stringify(sorted, null, 1)}\n`);
}

const RERECORD = 'run `npm run oracles` where tshark is installed and commit test/oracles/';

function recordOf(call: Call): Entry {
  const entry = load(call.file)[call.key];
  if (entry !== undefined) return entry;
  const sameCommand = Object.values(load(call.file)).find((e) => e.command === call.command);
  const why = sameCommand
    ? `its inputs changed since it was recorded (${Object.keys(call.inputs).filter((p) => sameCommand.inputs[p] !== call.inputs[p]).join(', ')})`
    : 'it was never recorded';
  throw new Error(`no recorded output for \`${call.command}\` in ${relative(repoRoot, call.file)}: ${why}; ${RERECORD}`);
}

/** Compares a live run with its record; a stale record fails the test that relies on it. */
function check(call: Call, stdout: string): void {
  if (recording()) return save(call, stdout);
  const entry = recordOf(call);
  const here = versionOf(call.tool);
  const at = `\`${call.command}\` (recorded with ${entry.recordedWith}, run here with ${here})`;
  if (entry.stdout.join('\n') !== stdout) throw new Error(`the live output of ${at} differs from its record in ${relative(repoRoot, call.file)}; ${RERECORD}`);
  if (call.writes !== undefined && entry.wrote !== undefined && inflateSync(Buffer.from(entry.wrote.deflated, 'base64')).compare(readFileSync(call.writes)) !== 0) {
    throw new Error(`the file written by ${at} differs from its record in ${relative(repoRoot, call.file)}; ${RERECORD}`);
  }
}

function replay(call: Call): string {
  if (strict() || recording()) throw new Error(`${call.tool} is missing but ${recording() ? 'recording' : 'CI'} needs it live: apt-get install tshark`);
  const entry = recordOf(call);
  if (call.writes !== undefined) {
    if (entry.wrote === undefined) throw new Error(`the record of \`${call.command}\` holds no written file; ${RERECORD}`);
    writeFileSync(call.writes, inflateSync(Buffer.from(entry.wrote.deflated, 'base64')));
  }
  return entry.stdout.join('\n');
}

const EXEC = { encoding: 'utf8', maxBuffer: 256 << 20 } as const;

/** Runs a Wireshark tool, or replays its recorded output where it is not installed; returns stdout. */
export function oracle(tool: OracleTool, args: string[], options: OracleOptions = {}): string {
  const call = describeCall(tool, args, options);
  if (!have(tool)) return replay(call);
  const stdout = execFileSync(tool, args, { ...EXEC, stdio: ['ignore', 'pipe', 'ignore'] });
  check(call, stdout);
  return stdout;
}

const execFileAsync = promisify(execFile);

/** `oracle` without blocking, for running several tshark processes at once. */
export async function oracleAsync(tool: OracleTool, args: string[], options: OracleOptions = {}): Promise<string> {
  const call = describeCall(tool, args, options);
  if (!have(tool)) return replay(call);
  const { stdout } = await execFileAsync(tool, args, EXEC);
  check(call, stdout);
  return stdout;
}

// `podpath completion`: the bash script, sourced in a real bash, completes podpath's commands
// and the options each really has (from `podpath <command> --help`, the program's own word);
// the zsh and fish scripts parse in their shells; `kubectl-podpath` is podpath under kubectl's
// plugin name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

/** COMPREPLY after typing `words` (the last one being completed) in a bash with the script sourced. */
function bashCompletes(script: string, words: string[]): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_podpath; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8', cwd: repoRoot });
  expect(run.stderr).toBe('');
  return run.stdout.split('\n').filter(Boolean);
}

/** The long options `podpath COMMAND --help` lists. */
async function helpOptions(command: string): Promise<string[]> {
  const help = (await runPodpath([command, '--help'])).stdout;
  return [...help.matchAll(/(?:^|[ ,])(--[a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
}

describe('podpath completion bash', () => {
  it('completes commands, then the options of the command typed', async () => {
    const script = (await runPodpath(['completion', 'bash'])).stdout;
    expect(bashCompletes(script, ['podpath', 'tr'])).toEqual(['trace']);
    expect(bashCompletes(script, ['podpath', 'de'])).toEqual(['decode']);
    for (const command of ['trace', 'decode', 'explain', 'report']) {
      const completed = bashCompletes(script, ['podpath', command, '--']);
      expect(new Set(completed)).toEqual(new Set(await helpOptions(command)));
    }
    expect(bashCompletes(script, ['podpath', 'decode', '-Y'])).toEqual(['-Y']);
    // A word that is not an option completes as a file name.
    expect(bashCompletes(script, ['podpath', 'trace', 'samples/seed-fl'])).toEqual(['samples/seed-flannel']);
  });
  it('an unknown shell is a usage error', async () => {
    const run = await runPodpath(['completion', 'tcsh']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('podpath: completion tcsh: expected bash, zsh or fish\n');
  });
});

describeNeeding(['zsh'], 'podpath completion zsh', () => {
  it('parses in zsh', async () => {
    const run = spawnSync('zsh', ['-n'], { input: (await runPodpath(['completion', 'zsh'])).stdout, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describeNeeding(['fish'], 'podpath completion fish', () => {
  it('parses in fish and offers trace with its options', async () => {
    const script = (await runPodpath(['completion', 'fish'])).stdout;
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-fish-')), 'podpath.fish');
    writeFileSync(file, script);
    const check = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const run = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C 'podpath trace --end'`], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/^--endpoint\t/m);
  });
});

describe('kubectl-podpath', () => {
  it('is installed beside podpath and runs podpath with kubectl\'s arguments', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin['kubectl-podpath']).toBe('bin/kubectl-podpath.js');
    expect(pkg.files).toContain('bin/kubectl-podpath.js');
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin/kubectl-podpath.js'), 'trace', 'samples/seed-flannel', '--from', 'pod1', '--to', 'svc/web', '--json'], { cwd: repoRoot, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).query.packet.dst).toBe('10.96.0.10');
  });
});

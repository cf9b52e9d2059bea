import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runPodpath } from '../helpers/run.ts';

describe('podpath command', () => {
  it('prints its version from package.json', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const result = await runPodpath(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('prints help naming itself', async () => {
    const result = await runPodpath(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: podpath/m);
  });

  it('rejects an unknown command with status 2 and no stack trace', async () => {
    const result = await runPodpath(['no-such-command']);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('file errors', () => {
  it('names a missing input in one line, in words, with status 2', async () => {
    const result = await runPodpath(['topology', '/nonexistent/podpath-input']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('podpath: /nonexistent/podpath-input: no such file or directory\n');
  });
});

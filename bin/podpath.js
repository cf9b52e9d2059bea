#!/usr/bin/env node
// Entry point: podpath is written in TypeScript and run through tsx, so the
// installed command always runs the sources in this checkout (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);

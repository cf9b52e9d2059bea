// Records what tshark answers for every (capture, display filter) in cases.ts into
// tshark.json: the frame numbers it shows, with tshark's version and each command line.
//   node bin/run-ts.js test/decode/filter-oracle/record.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/run.ts';
import { CAPTURES, FILTERS, checked } from './cases.ts';
import { tsharkFrames, tsharkVersion } from './tshark.ts';

const cases = [];
for (const capture of CAPTURES) {
  for (const filter of FILTERS.filter((f) => checked(capture, f))) {
    const { command, frames } = tsharkFrames(capture, filter);
    cases.push({ capture, filter, command, frames });
  }
}
const record = { tshark: tsharkVersion(), recorded: 'node bin/run-ts.js test/decode/filter-oracle/record.ts', cases };
writeFileSync(join(repoRoot, 'test/decode/filter-oracle/tshark.json'), JSON.stringify(record, null, 1) + '\n');
process.stdout.write(`${cases.length} cases recorded with ${record.tshark}\n`);

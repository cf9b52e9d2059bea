// Prints, at the end of `npm test`, one line per requirement that made groups skip: what was
// missing, how many groups and tests it skipped, and the command that brings it. A skip is
// never silent. Groups are found by the name describeNeeding() gives them.
//
// It also prints one `todo:` line per `it.todo` (test/helpers/sample-gaps.ts's named gaps: the
// test's name carries the reason), so a gap is seen on every run without failing it; .ci/run
// fails on `skipped:`/`replayed:` lines only.
import type { Reporter, TestCase, TestModule } from 'vitest/node';

/** `todo: test/explain/samples.test.ts > group > mtu-overlay: <reason>`, one line each. */
export function todoLines(modules: ReadonlyArray<{ relativeModuleId: string; children: { allTests(): Iterable<TestCase> } }>): string[] {
  return modules.flatMap((module) =>
    [...module.children.allTests()]
      .filter((test) => test.options.mode === 'todo')
      .map((test) => `todo: ${module.relativeModuleId} > ${test.fullName.replace(/\s+/g, ' ')}`),
  );
}
import { GROUP_PREFIX, HOW_TO_GET, have, missingOf, type Requirement } from './requires.ts';

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = new Map<string, { groups: number; tests: number }>();
    for (const module of modules) {
      for (const suite of module.children.allSuites()) {
        if (!suite.name.startsWith(GROUP_PREFIX) || suite.state() !== 'skipped') continue;
        const requirements = suite.name.slice(GROUP_PREFIX.length).split(':')[0]!.split('+') as Requirement[];
        const missing = missingOf(requirements);
        const key = (missing.length > 0 ? missing : requirements).join(', ');
        const entry = skipped.get(key) ?? { groups: 0, tests: 0 };
        entry.groups += 1;
        entry.tests += [...suite.children.allTests()].length;
        skipped.set(key, entry);
      }
    }
    const lines = [...skipped].map(([key, { groups, tests }]) => {
      const hows = [...new Set(key.split(', ').map((r) => HOW_TO_GET[r as Requirement]))];
      // "sudo npm test" says nothing "sudo npm test (ip netns needs root …)" does not.
      const how = hows.filter((h) => !hows.some((other) => other !== h && other.startsWith(h))).join('; ');
      return `skipped: ${groups} group${groups === 1 ? '' : 's'} (${tests} test${tests === 1 ? '' : 's'}) needing ${key}, missing here: ${how}`;
    });
    // test/helpers/oracle.ts replays tshark's committed output where tshark is absent: the
    // comparisons ran, but whether the records are still what tshark prints was not checked.
    if (!have('tshark')) {
      lines.push(`replayed: tshark is not installed: podpath was compared with tshark's recorded output (test/oracles/), not checked live: ${HOW_TO_GET.tshark}`);
    }
    const todos = todoLines(modules);
    if (lines.length === 0 && todos.length === 0) return;
    process.stdout.write(`\n${[...todos, ...lines].join('\n')}\n`);
  }
}

// Environment-gated test groups. A group that needs root, network namespaces or a tool
// (tshark, tcpdump, ipset, tmux, nft, chromium, …) runs when they are here and is skipped as
// a named group otherwise; test/helpers/skip-reporter.ts then prints one line per missing
// requirement with the command that brings it. Under CI (CI=true, as .ci/run runs) nothing
// is skipped: a missing requirement fails the group, so CI can never pass by skipping.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export type Requirement =
  | 'root'
  | 'netns'
  | 'tshark'
  | 'editcap'
  | 'mergecap'
  | 'tcpdump'
  | 'ipset'
  | 'tmux'
  | 'nft'
  | 'iptables'
  | 'conntrack'
  | 'chromium'
  | 'rsvg-convert'
  | 'time'
  | 'brctl'
  | 'curl'
  | 'python3'
  | 'graphviz'
  | 'zsh'
  | 'fish';

/** How to get each requirement on a Debian machine like CI's. */
export const HOW_TO_GET: Record<Requirement, string> = {
  root: 'sudo npm test',
  netns: 'sudo npm test (ip netns needs root and iproute2)',
  tshark: 'apt-get install tshark',
  editcap: 'apt-get install tshark (editcap comes with it)',
  mergecap: 'apt-get install tshark (mergecap comes with it)',
  tcpdump: 'apt-get install tcpdump',
  ipset: 'apt-get install ipset',
  tmux: 'apt-get install tmux',
  nft: 'apt-get install nftables',
  iptables: 'apt-get install iptables',
  conntrack: 'apt-get install conntrack',
  chromium: 'apt-get install chromium',
  'rsvg-convert': 'apt-get install librsvg2-bin',
  time: 'apt-get install time (GNU /usr/bin/time)',
  brctl: 'apt-get install bridge-utils',
  curl: 'apt-get install curl',
  python3: 'apt-get install python3',
  graphviz: 'apt-get install graphviz',
  zsh: 'apt-get install zsh',
  fish: 'apt-get install fish',
};

const onPath = (command: string, ...args: string[]): boolean => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined;
};

const isRoot = (): boolean => process.getuid?.() === 0;

const probes: Record<Requirement, () => boolean> = {
  root: isRoot,
  netns: () => isRoot() && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0,
  tshark: () => onPath('tshark', '--version'),
  editcap: () => onPath('editcap', '--version'),
  mergecap: () => onPath('mergecap', '--version'),
  tcpdump: () => onPath('tcpdump', '--version'),
  ipset: () => onPath('ipset', 'version'),
  tmux: () => onPath('tmux', '-V'),
  nft: () => onPath('nft', '--version'),
  iptables: () => onPath('iptables', '--version'),
  conntrack: () => onPath('conntrack', '--version'),
  chromium: () => onPath('chromium', '--version'),
  'rsvg-convert': () => onPath('rsvg-convert', '--version'),
  time: () => onPath('/usr/bin/time', '-f', '', 'true'),
  brctl: () => onPath('brctl', '--version'),
  curl: () => onPath('curl', '--version'),
  python3: () => onPath('python3', '--version'),
  graphviz: () => onPath('dot', '-V'),
  zsh: () => onPath('zsh', '--version'),
  fish: () => onPath('fish', '--version'),
};

const known = new Map<Requirement, boolean>();
/** Whether a requirement is met here (probed once per test file). */
export function have(requirement: Requirement): boolean {
  let present = known.get(requirement);
  if (present === undefined) {
    present = probes[requirement]();
    known.set(requirement, present);
  }
  return present;
}

export const missingOf = (requirements: readonly Requirement[]): Requirement[] =>
  requirements.filter((r) => !have(r));

/** Skipped groups are named with this prefix so the reporter can find and count them. */
export const GROUP_PREFIX = 'needs ';
export const groupLabel = (requirements: readonly Requirement[], name: string): string =>
  `${GROUP_PREFIX}${requirements.join('+')}: ${name}`;

const strict = (): boolean => process.env['CI'] === 'true' || process.env['PODPATH_REQUIRE_ALL'] === '1';

/**
 * `describeNeeding(['root', 'tshark'], 'the lab', () => { … })`: a describe block that runs
 * only where every requirement is met. Under CI it always runs, and a missing requirement is
 * the first failure it reports.
 */
export function describeNeeding(requirements: readonly Requirement[], name: string, body: () => void): void {
  const label = groupLabel(requirements, name);
  const missing = missingOf(requirements);
  if (missing.length === 0) {
    describe(label, body);
  } else if (strict()) {
    describe(label, () => {
      it('has what it needs', () => {
        throw new Error(`${missing.join(', ')} missing under CI: ${missing.map((r) => HOW_TO_GET[r]).join('; ')}`);
      });
    });
  } else {
    describe.skip(label, body);
  }
}

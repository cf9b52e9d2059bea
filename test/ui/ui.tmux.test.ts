// The real program in a real terminal: `podpath ui` on the user's Flannel sample
// inside tmux (80×24), driven with send-keys and read with capture-pane, as a
// person would use it. Expected text comes from samples/seed-flannel/expected.json
// (recorded from the kernel by the lab), never from podpath's own output.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { oracle } from '../helpers/oracle.ts';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/run.ts';
import { squeeze } from './helpers.ts';
import { describeNeeding } from '../helpers/requires.ts';

interface Sighting {
  at: string;
  interface: string;
  sport: number;
}
interface NetfilterRecord {
  node: string;
  table: string;
  chain: string;
  rule: string | null;
}
interface Connection {
  id: string;
  service?: string;
  from: string;
  to: string;
  outcome: string;
  endpoint: string;
  sightings: Sighting[];
  netfilter: NetfilterRecord[];
}

const sample = join(repoRoot, 'samples', 'seed-flannel');
const expected = JSON.parse(readFileSync(join(sample, 'expected.json'), 'utf8')) as { connections: Connection[]; pods: { name: string; ip: string }[] };
// The user's example: pod1 to the web service, DNATed to pod2 (192.168.2.12:80).
const connection = expected.connections.find((c) => c.id === 'pod1-to-web')!;
const dnat = connection.netfilter.find((n) => n.rule?.includes(' -j DNAT '))!;

// A tmux server of our own (-L) so nothing else running tmux is touched.
const socket = `pu-${process.pid}-${Date.now()}`;
const session = `pu-ui-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', session);

async function waitFor(what: string, check: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < until) {
    text = screen();
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not on screen after ${timeoutMs} ms; the screen was:\n${text}`);
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// Ink prints only the last frame when it thinks it runs in CI (is-in-ci reads CI and
// CONTINUOUS_INTEGRATION); a person's terminal has neither.
const TERMINAL_ENV = 'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color NO_COLOR=1';

/** The `podpath ui` command line a person would type, as one shell string; `extra` are shell words, quoted by the caller. */
function podpathUi(inputs: string, from: string, to: string, ...extra: string[]): string {
  return [TERMINAL_ENV, quote(process.execPath), quote(join(repoRoot, 'bin', 'podpath.js')), 'ui', quote(inputs), '--from', quote(from), '--to', quote(to), ...extra].join(' ');
}

// The shell in the pane writes the program's exit status here: tmux's own
// #{pane_dead_status} was seen staying empty for 45 s on a loaded machine.
const statusFile = join(tmpdir(), `${socket}.status`);

async function startSession(program: string): Promise<void> {
  rmSync(statusFile, { force: true });
  const command = `${program}; echo $? > ${quote(statusFile)}`;
  // remain-on-exit keeps the pane after podpath exits, so its screen can be read.
  // The previous test's server may still be going away on a loaded machine: try again briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', session, '-c', repoRoot, command, ';', 'set-option', '-t', session, 'remain-on-exit', 'on');
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      killServer();
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** "<dead> <status>" of the pane once the program has exited (its shell has written the status), or what is known at the deadline. */
async function exitState(timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  let state = '';
  while (Date.now() < until) {
    const dead = tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim();
    const status = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : '';
    state = `${dead} ${status}`.trim();
    if (dead === '1' && status !== '') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return state;
}

/** Sends q and returns "<dead> <status>" of the pane once the program has exited. */
async function quit(): Promise<string> {
  tmux('send-keys', '-t', session, 'q');
  return exitState(10_000);
}

function killServer(): void {
  rmSync(statusFile, { force: true });
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
}

describeNeeding(['tmux'], 'podpath ui in a real terminal (tmux 80×24)', () => {
  it('Ctrl-C ends the UI with status 130, as an interrupted program does', async () => {
    await startSession(podpathUi(sample, connection.from, connection.to));
    try {
      const first = connection.sightings[0]!;
      await waitFor('the first hop', (t) => new RegExp(`›\\s*1 ${first.at} ${first.interface}`).test(t), 45_000);
      tmux('send-keys', '-t', session, 'C-c');
      expect(await exitState(10_000)).toBe('1 130');
    } finally {
      killServer();
    }
  });

  it('shows the first hop, moves with Down, shows the DNAT rule in the detail pane, and quits with q', async () => {
    await startSession(podpathUi(sample, connection.from, connection.to));
    try {
      const first = connection.sightings[0]!;
      const second = connection.sightings[1]!;
      // Starting tsx and reading the dumps can take a while on a loaded 2-core CI machine.
      const opened = await waitFor('the first hop', (t) => new RegExp(`›\\s*1 ${first.at} ${first.interface}`).test(t), 45_000);
      for (const line of opened.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

      tmux('send-keys', '-t', session, 'Down');
      await waitFor('the second hop after Down', (t) => new RegExp(`›\\s*2 ${second.at} ${second.interface}`).test(t));

      // Find the hop with the DNAT, open the detail pane, find the DNAT step there.
      tmux('send-keys', '-t', session, '/');
      await waitFor('the search prompt', (t) => t.includes('Enter: find'));
      tmux('send-keys', '-t', session, '-l', 'DNAT');
      await waitFor('the typed search', (t) => t.includes('/DNAT'));
      tmux('send-keys', '-t', session, 'Enter');
      await waitFor('the search closed', (t) => !t.includes('Enter: find'));
      tmux('send-keys', '-t', session, 'Tab');
      await waitFor('the detail pane', (t) => /╔═+╗\n║Detail/.test(t));
      tmux('send-keys', '-t', session, '/');
      await waitFor('the search prompt', (t) => t.includes('Enter: find'));
      tmux('send-keys', '-t', session, '-l', 'DNAT');
      await waitFor('the typed search', (t) => t.includes('/DNAT'));
      tmux('send-keys', '-t', session, 'Enter');
      const detail = await waitFor('the DNAT rule as iptables-save has it', (t) => squeeze(t).includes(squeeze(dnat.rule!)));
      expect(detail).toContain(`${dnat.table} ${dnat.chain}`);
      expect(detail).toMatch(new RegExp(`║Detail · hop \\d+/${connection.sightings.length} ${dnat.node} `));

      // NO_COLOR: no colour sequences on the screen (bold/inverse are allowed by the spec).
      const raw = tmux('capture-pane', '-p', '-e', '-t', session);
      expect(raw).not.toMatch(/\u001B\[[0-9;]*(3[0-7]|9[0-7]|38;5;\d+)m/);

      // Resize: at 130 columns the trace list comes back beside the detail pane.
      tmux('resize-window', '-t', session, '-x', '130', '-y', '30');
      const wide = await waitFor('the wider layout', (t) => /║Trace · \d+ hops\s*║│Detail/.test(t) || /│Trace · \d+ hops\s*│║Detail/.test(t));
      expect(wide.split('\n')[0]!.length).toBeLessThanOrEqual(130);

      expect(await quit()).toBe('1 0');
    } finally {
      killServer();
    }
  }, 120_000);

  it('r writes the HTML report of what the UI shows (the trace, and the explanation once done) into the current folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pu-report-'));
    const capture = join(sample, 'captures', 'worker-2__eth0.pcap');
    await startSession(`cd ${quote(folder)} && ${podpathUi(sample, connection.from, connection.to, '--capture', quote(capture))}`);
    try {
      const first = connection.sightings[0]!;
      await waitFor('the first hop', (t) => new RegExp(`›\\s*1 ${first.at} ${first.interface}`).test(t), 45_000);
      await waitFor('the explainer done', (t) => /e: (no trouble|trouble found)/.test(t), 30_000);
      tmux('send-keys', '-t', session, 'r');
      const written = await waitFor('the report written', (t) => /report: podpath-report-\d{8}-\d{6}\.html/.test(t), 30_000);
      const name = /podpath-report-\d{8}-\d{6}\.html/.exec(written)![0];
      expect(readdirSync(folder)).toEqual([name]);
      const html = readFileSync(join(folder, name), 'utf8');
      // Every device where the kernel saw the SYN is a hop of the report's path, in order.
      const hops = [...html.matchAll(/<tr data-hop="\d+" data-at="([^"]+)" data-interface="([^"]+)">/g)].map((m) => `${m[1]} ${m[2]}`);
      expect(hops).toEqual(connection.sightings.filter((s) => s.interface !== 'any').map((s) => `${s.at} ${s.interface}`));
      expect(html).toContain(`data-disposition="${connection.outcome}"`);
      expect(html).toContain('<h2>What the captures show</h2>');
      expect(await quit()).toBe('1 0');
    } finally {
      killServer();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('npm start opens the user\'s Flannel example with the worker-2 capture', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const capture = /--capture (\S+)/.exec(pkg.scripts.start)?.[1];
    expect(capture).toBeDefined();
    const packets = oracle('tshark', ['-r', join(repoRoot, capture!), '-T', 'fields', '-e', 'frame.number'])
      .trim()
      .split('\n').length;
    await startSession(`${TERMINAL_ENV} npm start --silent`);
    try {
      const first = connection.sightings[0]!;
      const opened = await waitFor('the first hop', (t) => new RegExp(`›\\s*1 ${first.at} ${first.interface}`).test(t), 45_000);
      expect(opened).toContain('4 Capture');
      // The trace follows the web service to the endpoint the lab's connection reached.
      expect(opened).toContain(`${connection.outcome.toUpperCase()} via ${connection.endpoint}`);
      await waitFor('the whole capture read', (t) => t.includes(`capture ${packets} pkts`) && !t.includes('reading…'));
      // e: the capture explained; the traced connection, named as the lab recorded it
      // (service, endpoint pod), agrees with the trace.
      const [ip, port] = connection.endpoint.split(':');
      const pod = expected.pods.find((p) => p.ip === ip)!.name;
      const named = `${connection.from}:${connection.sightings[0]!.sport} → ${connection.service} ⇒ ${pod}:${port}`;
      tmux('send-keys', '-t', session, 'e');
      const explained = await waitFor('the Explain view', (t) => t.includes('║Explain') && t.includes(named), 30_000);
      expect(explained).toMatch(new RegExp(`AGREES\\s+c\\d+ ${named.replace(/[./]/g, '\\$&')}`));
      for (const line of explained.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
      // The verdicts are coloured on a colour terminal; under NO_COLOR not a single colour sequence.
      expect(tmux('capture-pane', '-p', '-e', '-t', session)).not.toMatch(/\u001B\[[0-9;]*(3[0-7]|9[0-7]|38;5;\d+)m/);
      expect(await quit()).toBe('1 0');
    } finally {
      killServer();
    }
  }, 120_000);

  it('an unknown --from ends with one error line (no progress text left on it) and the usage status 2', async () => {
    await startSession(podpathUi(sample, 'no-such-pod', connection.to));
    try {
      expect(await exitState(45_000)).toBe('1 2');
      // -J joins the message's wrapped rows back into one line; -S - includes the rows
      // tmux scrolled into its history when it marked the pane dead.
      const text = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
      const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Pane is dead'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^podpath: --from no-such-pod: /);
    } finally {
      killServer();
    }
  }, 120_000);

  // Issue 14, the scenario whose captures placement by frames once swapped (arp-unanswered's
  // web-b eth0 and worker-2's veths): every capture copied as a.pcap, b.pcap, … so only its
  // frames (or its SLL2 interface indexes) can place it. The Explain pane's captures entry
  // must list each file at the place the lab wrote it (captures/<at>__<iface>.pcap), an empty
  // one as needing a name or --at; the Capture pane's title names the selected packet's
  // capture's place. The -i any capture's parts are its distinct SLL2 ifindexes (tshark).
  it('Explain and Capture show where each capture named a.pcap, b.pcap, … was placed, and by what', async () => {
    const scenario = join(repoRoot, 'samples', 'arp-unanswered');
    const lab = readdirSync(join(scenario, 'captures')).filter((f) => f.endsWith('.pcap')).sort();
    const folder = mkdtempSync(join(tmpdir(), 'pu-place-'));
    const letters = lab.map((_, i) => `${String.fromCharCode(97 + i)}.pcap`);
    lab.forEach((f, i) => copyFileSync(join(scenario, 'captures', f), join(folder, letters[i]!)));
    const placeOf = (i: number): string => lab[i]!.replace(/\.pcap$/, '').replace('__', ' ');
    const empty = lab.filter((f) => statSync(join(scenario, 'captures', f)).size === 24).length;
    const anyParts = lab
      .filter((f) => f.endsWith('__any.pcap'))
      .map((f) => new Set(oracle('tshark', ['-r', join(scenario, 'captures', f), '-T', 'fields', '-e', 'sll.ifindex']).trim().split('\n')).size)
      .reduce((a, b) => a + b, 0);
    const parts = lab.length - lab.filter((f) => f.endsWith('__any.pcap')).length + anyParts;
    const record = JSON.parse(readFileSync(join(scenario, 'expected.json'), 'utf8')) as { connections: Connection[] };
    const first = record.connections[0]!;
    await startSession(podpathUi(scenario, first.from, first.to, '--capture', ...letters.map((l) => quote(join(folder, l)))));
    try {
      await waitFor('the explainer done', (t) => /e: (no trouble|trouble found)/.test(t), 60_000);
      tmux('send-keys', '-t', session, 'e');
      await waitFor('the Explain view', (t) => t.includes('║Explain'), 30_000);
      tmux('send-keys', '-t', session, 'G');
      await waitFor('the captures entry', (t) => t.includes(`›captures: ${parts - empty} of ${parts} placed`), 10_000);
      // The entry's detail scrolls by paragraphs, more than 24 rows show: a taller terminal shows it whole.
      tmux('resize-window', '-t', session, '-x', '80', '-y', '200');
      // The same screen twice: tmux can copy a 200-row frame while Ink is still writing it, and
      // the panes' workers keep the status line changing while they read.
      let previous = '';
      const whole = await waitFor('the whole captures entry', (t) => {
        const steady = t === previous;
        previous = t;
        return steady && t.includes('captures: ') && !/more rows \(PgDn\)/.test(t);
      }, 10_000);
      const lines = whole.split('\n').map((line) => line.replace(/║/g, '').trim());
      lab.forEach((f, i) => {
        const size = statSync(join(scenario, 'captures', f)).size;
        if (size === 24) {
          expect(lines.some((l) => l.startsWith(`${letters[i]}: 0 packets`)), f).toBe(true);
        } else if (f.endsWith('__any.pcap')) {
          expect(lines.filter((l) => l.startsWith(`${letters[i]} → ${placeOf(i).replace(' any', ' ')}`) && l.includes('(from -i any)')).length, f).toBe(anyParts);
        } else {
          expect(lines.some((l) => l.startsWith(`${letters[i]} → ${placeOf(i)}: `)), `${f} as ${letters[i]}`).toBe(true);
        }
      });
      expect(lines.filter((l) => l.startsWith('not placed: no packets: only its name')).length).toBe(empty);
      expect(lines.some((l) => l.startsWith('placed by: MAC addresses: '))).toBe(true);
      // Capture: the first connection's packets; the title names the selected row's capture's place.
      tmux('resize-window', '-t', session, '-x', '80', '-y', '24');
      await waitFor('the terminal back at 24 rows', (t) => t.split('\n').length <= 25 && t.includes('║Explain'), 10_000);
      tmux('send-keys', '-t', session, 'g');
      await waitFor('the first connection selected', (t) => /║›\s*[A-Z-]+\s+c\d+ /.test(t), 10_000);
      tmux('send-keys', '-t', session, 'Enter');
      const capture = await waitFor('the Capture pane on the connection', (t) => /Capture · at /.test(t) && /›\S*\s?[a-z]\.pcap/.test(t), 10_000);
      const letter = /›\S*\s?([a-z]\.pcap)/.exec(capture)![1]!;
      expect(capture).toContain(`Capture · at ${placeOf(letters.indexOf(letter))} (MAC addresses`);
      expect(await quit()).toBe('1 0');
    } finally {
      killServer();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 180_000);

  // Issue 18, the UI: the small things a person expects, each on the real program.
  describe('keys as a person types them (issue 18)', () => {
    const first = connection.sightings[0]!;
    const second = connection.sightings[1]!;
    const hops = connection.sightings.length;
    const opened = (t: string): boolean => new RegExp(`›\\s*1 ${first.at} ${first.interface}`).test(t);
    // At 80 columns a focused side pane takes the whole width, with its double border.
    const detailAlone = (t: string, hop: number, s: Sighting): boolean => t.includes(`║Detail · hop ${hop}/${hops} ${s.at} ${s.interface}`) && !t.includes('Trace · ');
    const lastLine = (t: string): string => t.trimEnd().split('\n').at(-1)!;

    it('Esc leaves the full-width detail view for the panes, and does not quit', async () => {
      await startSession(podpathUi(sample, connection.from, connection.to));
      try {
        await waitFor('the first hop', opened, 45_000);
        tmux('send-keys', '-t', session, 'Down');
        await waitFor('the second hop', (t) => new RegExp(`›\\s*2 ${second.at} ${second.interface}`).test(t));
        tmux('send-keys', '-t', session, 'Enter');
        await waitFor('the detail pane alone, full width', (t) => detailAlone(t, 2, second));
        tmux('send-keys', '-t', session, 'Escape');
        const back = await waitFor('the trace list beside the detail pane', (t) => new RegExp(`Trace · ${hops} hops`).test(t) && t.includes(`Detail · hop 2/${hops}`));
        // The trace list has the focus again (double border), the hop still selected.
        expect(back).toMatch(new RegExp(`╔═*\\s*Trace|║Trace · ${hops} hops`));
        expect(back).toMatch(new RegExp(`›\\s*2 ${second.at} ${second.interface}`));
        expect(tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim()).toBe('0');
        // Esc and j in one write (Ink reads it as Alt+j): back to the list, then down a hop.
        const third = connection.sightings[2]!;
        tmux('send-keys', '-t', session, 'Enter');
        await waitFor('the detail pane alone again', (t) => detailAlone(t, 2, second));
        tmux('send-keys', '-t', session, '-l', '\u001bj');
        await waitFor('the trace list on the third hop', (t) => t.includes(`Trace · ${hops} hops`) && new RegExp(`›\\s*3 ${third.at} ${third.interface}`).test(t));
        expect(await quit()).toBe('1 0');
      } finally {
        killServer();
      }
    }, 120_000);

    it("j and Enter in one write (send-keys -l $'j\\r', as over laggy SSH) both act, in order", async () => {
      await startSession(podpathUi(sample, connection.from, connection.to));
      try {
        await waitFor('the first hop', opened, 45_000);
        // A first key answered shows the terminal is in raw mode: before that, the tty's own
        // line discipline (ICRNL) would turn the Enter into a newline on a loaded machine.
        tmux('send-keys', '-t', session, 'Down');
        await waitFor('the second hop', (t) => new RegExp(`›\\s*2 ${second.at} ${second.interface}`).test(t));
        tmux('send-keys', '-t', session, '-l', 'j\r');
        // j moved to the third hop, then Enter opened that hop in the detail pane.
        const third = connection.sightings[2]!;
        await waitFor('the third hop open in the detail pane', (t) => detailAlone(t, 3, third));
        // The same inside the search prompt: the query and its Enter in one write.
        tmux('send-keys', '-t', session, 'Escape');
        await waitFor('the trace list', (t) => t.includes(`Trace · ${hops} hops`));
        tmux('send-keys', '-t', session, '-l', `/${dnat.node}\r`);
        await waitFor(`the first hop at ${dnat.node} found`, (t) => !t.includes('Enter: find') && new RegExp(`›\\s*\\d+ ${dnat.node} `).test(t));
        expect(await quit()).toBe('1 0');
      } finally {
        killServer();
      }
    }, 120_000);

    it('a stale "not found" leaves the status line with the next key', async () => {
      await startSession(podpathUi(sample, connection.from, connection.to));
      try {
        await waitFor('the first hop', opened, 45_000);
        tmux('send-keys', '-t', session, '/');
        await waitFor('the search prompt', (t) => t.includes('Enter: find'));
        tmux('send-keys', '-t', session, '-l', 'no-such-hop');
        await waitFor('the typed search', (t) => t.includes('/no-such-hop'));
        tmux('send-keys', '-t', session, 'Enter');
        await waitFor('the search answered', (t) => lastLine(t).includes('not found: no-such-hop'));
        tmux('send-keys', '-t', session, 'j');
        const moved = await waitFor('the second hop', (t) => new RegExp(`›\\s*2 ${second.at} ${second.interface}`).test(t));
        expect(moved).not.toContain('not found');
        expect(await quit()).toBe('1 0');
      } finally {
        killServer();
      }
    }, 120_000);

    it('? help stays on the status line at 80 columns, with a capture explained and a long "not found"', async () => {
      const capture = join(sample, 'captures', 'worker-2__eth0.pcap');
      await startSession(podpathUi(sample, connection.from, connection.to, '--capture', quote(capture)));
      try {
        await waitFor('the first hop', opened, 45_000);
        const done = await waitFor('the explainer done', (t) => /e: (no trouble|trouble found)/.test(t), 30_000);
        expect(lastLine(done)).toContain('? help');
        const query = 'no-such-thing-anywhere-in-this-trace-at-all';
        tmux('send-keys', '-t', session, '/');
        await waitFor('the search prompt', (t) => t.includes('Enter: find'));
        tmux('send-keys', '-t', session, '-l', query);
        await waitFor('the typed search', (t) => t.includes(`/${query}`));
        tmux('send-keys', '-t', session, 'Enter');
        const answered = await waitFor('the search answered', (t) => lastLine(t).includes('not found: no-such'));
        expect(lastLine(answered)).toMatch(/ · \? help/);
        for (const line of answered.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
        // ? opens the help it points to.
        tmux('send-keys', '-t', session, '?');
        await waitFor('the help', (t) => t.includes('║Help'));
        expect(await quit()).toBe('1 0');
      } finally {
        killServer();
      }
    }, 120_000);

    it('the path picker names the pod at each endpoint, from the pods the dumps hold', async () => {
      const spread = expected.connections.find((c) => c.id === 'pod1-to-spread-1')!;
      const service = (expected as unknown as { services: { clusterIP: string; port: number; endpoints: { ip: string; port: number }[] }[] }).services.find((s) => spread.to.startsWith(`${s.clusterIP}:${s.port}`))!;
      // A pod's name is its dump folder (<node>/pods/<name>/), its address the eth0 line of its ip-addr.txt.
      const podAt = (ip: string): string => {
        for (const node of readdirSync(sample).filter((d) => existsSync(join(sample, d, 'pods')))) {
          for (const pod of readdirSync(join(sample, node, 'pods'))) {
            if (readFileSync(join(sample, node, 'pods', pod, 'ip-addr.txt'), 'utf8').includes(`inet ${ip}/`)) return pod;
          }
        }
        throw new Error(`no pod dump holds ${ip}`);
      };
      await startSession(podpathUi(sample, spread.from, spread.to));
      try {
        await waitFor('the first hop', opened, 45_000);
        tmux('send-keys', '-t', session, 'p');
        const picker = await waitFor('the path picker', (t) => t.includes('Choose a path'));
        expect(service.endpoints.length).toBeGreaterThan(1);
        for (const e of service.endpoints) expect(picker).toMatch(new RegExp(`\\d\\. ${e.ip.replace(/\./g, '\\.')}:${e.port} ${podAt(e.ip)}  \\d+%`));
        expect(await quit()).toBe('1 0');
      } finally {
        killServer();
      }
    }, 120_000);

    it('Ctrl-C at the search prompt, in the same write as other keys, ends the UI with 130', async () => {
      await startSession(podpathUi(sample, connection.from, connection.to));
      try {
        await waitFor('the first hop', opened, 45_000);
        tmux('send-keys', '-t', session, '/');
        await waitFor('the search prompt', (t) => t.includes('Enter: find'));
        tmux('send-keys', '-t', session, '-l', 'ab\u0003');
        expect(await exitState(10_000)).toBe('1 130');
      } finally {
        killServer();
      }
    }, 120_000);
  });
});

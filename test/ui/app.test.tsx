// The UI's frames after key presses (ink-testing-library, 100 columns). The data is
// the hand-made fixture of test/ui/fixtures.ts; ui.tmux.test.ts runs the real thing.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/ui/App.tsx';
import { makeTheme } from '../../src/ui/theme.ts';
import type { TraceResult } from '../../src/trace/model.ts';
import { DNAT_RULE, fixtureTopology, fixtureTrace } from './fixtures.ts';
import { KEY, frameWhere, squeeze } from './helpers.ts';
import { corpusDir } from '../helpers/shared.ts';

afterEach(() => cleanup());

function start(props: Partial<AppProps> = {}) {
  const ui = render(<App trace={fixtureTrace} topology={fixtureTopology} warnings={['w1', 'w2']} theme={makeTheme({})} {...props} />);
  const press = async (key: string, until: (frame: string) => boolean) => {
    ui.stdin.write(key);
    return frameWhere(ui.lastFrame, until);
  };
  return { ui, press, frame: () => frameWhere(ui.lastFrame, (f) => f.includes('podpath')) };
}

describe('podpath ui frames', () => {
  it('opens on the first hop, with the ending and the warnings count', async () => {
    const { frame } = start();
    const f = await frame();
    expect(f).toMatch(/› {0,2}1 pod1 eth0/);
    expect(f).toContain('Detail · hop 1/4 pod1 eth0');
    expect(f).toContain('DELIVERED via 192.168.2.12:80 (50%): delivered to pod2 port 80');
    expect(f).toContain('2 warnings');
    // Every line fits the 100 columns of the test terminal.
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('moves to the next hop with Down and with j, back with k', async () => {
    const { press, frame } = start();
    await frame();
    let f = await press(KEY.down, (x) => x.includes('hop 2/4'));
    // The hop where kube-proxy rewrites the destination says so in the list.
    expect(f).toMatch(/› {0,2}2 worker-1 cni0 \[DNAT\]/);
    f = await press('j', (x) => x.includes('hop 3/4'));
    expect(f).toContain('[VXLAN 1]');
    f = await press('k', (x) => x.includes('hop 2/4'));
  });

  it('shows the DNAT rule as the dump line, with the destination change highlighted, in the detail pane', async () => {
    const { press, frame } = start();
    await frame();
    await press(KEY.down, (x) => x.includes('hop 2/4'));
    await press(KEY.tab, (x) => /╔.*\n║Detail/.test(x));
    const f = await press(KEY.down, (x) => squeeze(x).includes(squeeze(DNAT_RULE)));
    expect(f).toContain('nat KUBE-SEP-FIXTUREAAAAAAAA');
    expect(f).toContain('after  192.168.1.7:50058 → 192.168.2.12:80 tcp');
    expect(f).toContain('dst 10.96.0.20 → 192.168.2.12');
    expect(f).toContain('fixture/worker-1/iptables-save:42');
  });

  it('shows the route chosen and the one that lost', async () => {
    const { press, frame } = start();
    await frame();
    await press(KEY.down, (x) => x.includes('hop 2/4'));
    await press(KEY.tab, (x) => /║Detail/.test(x));
    await press(KEY.down, (x) => x.includes('› nat'));
    const f = await press(KEY.down, (x) => x.includes('› route'));
    expect(f).toContain('✓ 192.168.2.0/24 via 192.168.2.0 dev flannel.1 onlink');
    expect(f).toContain('✗ default via 10.74.107.154 dev eth0 proto static  (lost)');
  });

  it('Enter opens every step of the hop', async () => {
    const { press, frame } = start();
    await frame();
    await press(KEY.down, (x) => x.includes('hop 2/4'));
    await press(KEY.tab, (x) => /║Detail/.test(x));
    const f = await press(KEY.enter, (x) => x.includes('all open'));
    expect(f).toContain('kube-proxy rewrites the destination to the endpoint');
    // The pane scrolls to keep the selected step whole: G goes to the last one.
    const end = await press('G', (x) => x.includes('› route'));
    expect(end).toContain('the longest prefix sends it to the overlay');
  });

  it('draws the topology with the current hop marked', async () => {
    const { press, frame } = start();
    await frame();
    await press(KEY.down, (x) => x.includes('hop 2/4'));
    const f = await press('3', (x) => x.includes('║Topology'));
    expect(f).toContain('┌─ worker-1 10.74.107.63');
    expect(f).toMatch(/│▶cni0 bridge 192\.168\.1\.1\/24/);
    expect(f).toContain('worker-1 flannel.1 10.74.107.63 ══ VNI 1 udp/8472 ══ worker-2 flannel.1 10.74.107.62');
    // Down in the topology pane walks the trace: the mark moves to pod2's hop later on.
    await press(KEY.down, (x) => x.includes('hop 3: worker-1 eth0'));
    const last = await press(KEY.down, (x) => x.includes('hop 4: pod2 eth0'));
    expect(last).toMatch(/│▶     eth0 192\.168\.2\.12/);
  });

  it('picks another endpoint in the path picker and colours the ending by outcome', async () => {
    const { press, frame } = start();
    await frame();
    const picker = await press('p', (x) => x.includes('Choose a path'));
    // The fixture's topology holds pod2 at 192.168.2.12 and no pod at .13: that one stays an address.
    expect(picker).toContain('1. 192.168.2.12:80 pod2  50%  delivered');
    expect(picker).toContain('2. 192.168.2.13:80  50%  dropped');
    await press(KEY.down, (x) => x.includes('› 2. 192.168.2.13'));
    const f = await press(KEY.enter, (x) => x.includes('DROPPED'));
    expect(f).toContain('DROPPED via 192.168.2.13:80 (50%): dropped by FORWARD policy DROP');
    expect(f).toContain('‹2/2›');
    expect(f).toContain('2 worker-1 cni0 [DROPPED]');
  });

  it('searches with / and says when nothing matches', async () => {
    const { press, frame } = start();
    await frame();
    await press('/', (x) => x.includes('Enter: find'));
    for (const ch of 'vxlan') await press(ch, (x) => x.includes(`/${'vxlan'.slice(0, 'vxlan'.indexOf(ch) + 1)}`));
    let f = await press(KEY.enter, (x) => x.includes('hop 3/4'));
    expect(f).toMatch(/› {0,2}3 worker-1 eth0/);
    await press('/', (x) => x.includes('Enter: find'));
    await press('z', (x) => x.includes('/z'));
    f = await press(KEY.enter, (x) => x.includes('not found: z'));
  });

  it('shows the key help with ? and closes it with Esc', async () => {
    const { press, frame } = start();
    await frame();
    const help = await press('?', (x) => x.includes('║Help'));
    expect(help).toContain('Tab  S-Tab');
    expect(help).toContain('quit');
    await press(KEY.escape, (x) => !x.includes('║Help'));
  });

  it('lists the warnings with w', async () => {
    const { press, frame } = start();
    await frame();
    const f = await press('w', (x) => x.includes('2 warnings from the inputs'));
    expect(f).toContain('w1');
  });

  it('escapes terminal control sequences that came from the dumps', async () => {
    const hostile: TraceResult = structuredClone(fixtureTrace);
    hostile.paths[0]!.hops[0]!.at = 'pod\u001B[2Jevil';
    hostile.paths[0]!.reason = 'reason\u001B]0;title\u0007';
    const { frame, press } = start({ trace: hostile });
    const f = await frame();
    expect(f).toContain('pod\\e[2Jevil');
    expect(f).toContain('reason\\e]0;title\\x07');
    expect(f).not.toContain('\u001B[2J');
    for (const pane of ['2', '3']) {
      const other = await press(pane, (x) => x.includes(pane === '2' ? '║Detail' : '║Topology'));
      expect(other).toContain('pod\\e[2Jevil');
      expect(other).not.toContain('\u001B[2J');
    }
  });

  it('lays out again on resize, fitting 80×24 and not breaking on a tiny terminal', async () => {
    const { ui, frame } = start();
    await frame();
    const resize = (columns: number, rows: number) => {
      Object.defineProperty(ui.stdout, 'columns', { get: () => columns, configurable: true });
      Object.defineProperty(ui.stdout, 'rows', { get: () => rows, configurable: true });
      ui.stdout.emit('resize');
    };
    resize(80, 24);
    let f = await frameWhere(ui.lastFrame, (x) => x.split('\n').every((l) => l.length <= 80));
    // One row short of the terminal, so Ink never has to clear the whole screen.
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
    expect(f).toMatch(/› {0,2}1 pod1 eth0/);
    resize(40, 10);
    f = await frameWhere(ui.lastFrame, (x) => x.split('\n').every((l) => l.length <= 40));
    // Too narrow for two panes: the focused trace list alone, still readable.
    expect(f).toMatch(/║› {0,2}1 pod1 eth0/);
    expect(f).not.toContain('Detail ·');
  });

  it('honours NO_COLOR in the theme, keeping the focus visible by the border', async () => {
    const theme = makeTheme({ NO_COLOR: '1' });
    expect(theme.color).toBe(false);
    expect(theme.c('bad')).toBeUndefined();
    expect(makeTheme({ NO_COLOR: '' }).color).toBe(true);
    const { frame } = start({ theme });
    expect(await frame()).toContain('╔');
  });
});

describe('capture pane frames', () => {
  it('streams packets in, marks the connection, shows layers then hex', async () => {
    const decoder = await import('../../src/decode/index.ts');
    const { captureStarter } = await import('../../src/ui/capture/start.ts');
    const file = `${corpusDir}/vxlan/zeek_vxlan-encapsulated-http.pcap`;
    // Fixture trace naming the capture's inner connection (172.16.11.201 → 54.86.237.188:80, per tshark).
    const trace: TraceResult = structuredClone(fixtureTrace);
    trace.paths[0]!.hops[0]!.packet = { src: '172.16.11.201', dst: '54.86.237.188', dport: 80, proto: 'tcp' };
    const startCapture = captureStarter([file], fixtureTopology, trace, decoder);
    const { press, frame } = start({ trace, startCapture });
    await frame();
    const list = await press('4', (x) => x.includes('║Capture') && x.includes('read to the end'));
    expect(list).toContain('12 packets, ● 12 of the traced connection');
    expect(list).toMatch(/›●\s+1 VXLAN 1 10\.1\.200\.131 → 10\.1\.1\.172 \| 172\.16\.11\.201 → 54\.86\.237\.188 TCP 40354 → 80 \[SYN\]/);
    expect(list).toContain('▾ Ethernet II');
    // Frame 4 holds the request (tshark: GET /image/svg).
    for (const n of [2, 3, 4]) await press('j', (x) => new RegExp(`›●\\s+${n} VXLAN`).test(x));
    expect(await frame()).toMatch(/›●\s+4 VXLAN 1 [^\n]*HTTP GET \/image\/svg/);
    const last = await press('G', (x) => /›●\s+12 VXLAN/.test(x));
    // tshark: frames 10 and 11 carry FIN, 12 is the last ACK.
    expect(last).toMatch(/\s10 VXLAN [^\n]*\[FIN/);
    await press('g', (x) => /›●\s+1 VXLAN/.test(x));
    // → opens the next layer: the outer IPv4 header (tshark: ip.proto 17, ip.ttl 64 for frame 1).
    const ipv4 = await press('l', (x) => x.includes('▾ Internet Protocol Version 4, Src: 10.1.200.131'));
    expect(ipv4).toContain('Protocol: UDP (17)');
    // The -V words (tshark -V: "Time to Live: 64"), shared with `podpath decode -V`.
    expect(ipv4).toMatch(/Time to Live: 64\b/);
    const hex = await press(KEY.enter, (x) => x.includes('0000  12 42 cd c5'));
    expect(hex).toContain('bytes');
  });
});

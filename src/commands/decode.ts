// `podpath decode FILE|-`: what is inside a capture, layer by layer, VXLAN inner
// frames included (8472 and 4789 without being told). The implementation lives in
// src/decode and is imported only when the command runs.
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { appendAll } from '../util/append.ts';
import { collectPorts } from './options.ts';

function positiveInteger(name: string, max: number, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} wants a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

/** -c 0 means nothing to show: refused, as tshark refuses it ("the specified packet count is zero"). */
function packetCount(value: string): number {
  if (/^0+$/.test(value)) throw new UsageError('-c 0: the packet count is zero (give 1 or more, or leave -c out for every packet)');
  return positiveInteger('-c', Number.MAX_SAFE_INTEGER, 1)(value);
}

export function register(program: Command): void {
  // -V is verbose here as in tshark: the program reads its own options (-V, --version) only
  // before the subcommand (cli.ts's buildProgram enables positional options).
  program
    .command('decode')
    .description('decode a pcap/pcapng capture layer by layer, tunnels (VXLAN 4789/8472, Geneve, GRE, IP-in-IP) included')
    .argument('[capture]', 'capture file (pcap or pcapng), or - for stdin (or give it with -r, as tshark)')
    .addHelpText(
      'after',
      `
Examples:
  podpath decode w2-eth0.pcap -c 20
  podpath decode -r capture.pcapng -Y 'ip.addr == 10.244.1.7 && tcp.flags.syn == 1'
  podpath decode capture.pcap -Y 'vxlan.vni == 1 && !arp' -V
  tcpdump -i any -w - | podpath decode -

Display filters (-Y) use Wireshark's syntax for the fields in docs/decode.md.`,
    )
    .option('-r, --read-file <file>', 'the capture to read (the same as the positional, for tshark habits)')
    .option('-Y, --display-filter <filter>', 'only packets that match a display filter in Wireshark\'s syntax: ip.addr==10.244.1.7 && tcp.flags.syn==1, vxlan.vni==1, !arp (see docs/decode.md)')
    .option('-c, --count <n>', 'stop after N packets (after filtering)', packetCount)
    .option('-V, --verbose', 'layered detail for every packet, outer and inner')
    .option('-x, --hex', 'add the bytes of each packet in hex and ASCII')
    .option('--json', 'one JSON object per packet per line: {frame, time, caplen, len, layers: [...]}')
    .option('--summary', 'only counts over the whole capture (packets, layers, tunnels by VNI, TCP flags)')
    .option('--vni <n>', 'only packets with this VXLAN or Geneve VNI', positiveInteger('--vni', 0xffffff))
    .option('--host <ip>', 'only packets with this IP address (outer or inner, source or destination)')
    .option('--port <n>', 'only packets with this UDP or TCP port (outer or inner)', positiveInteger('--port', 65535))
    .option('--vxlan-port <port>', 'also decode this UDP port as VXLAN (repeatable or comma-separated)', collectPorts('--vxlan-port'))
    .option('--dumps <dir>', "also decode as VXLAN the dstport of every vxlan device in this bundle's ip -d link dumps")
    .action(async (positional: string | undefined, options: Record<string, unknown>) => {
      const readFile = typeof options['readFile'] === 'string' ? options['readFile'] : undefined;
      if (positional !== undefined && readFile !== undefined && positional !== readFile) throw new UsageError(`decode reads one capture: -r ${readFile} and ${positional} were both given`);
      const capture = readFile ?? positional;
      if (capture === undefined) throw new UsageError('decode needs a capture: podpath decode FILE (or -r FILE, or - for stdin)');
      // Reading a directory's descriptor fails with an EISDIR that names no file: say it here.
      if (capture !== '-' && statSync(capture, { throwIfNoEntry: false })?.isDirectory()) {
        throw new UsageError(`${capture}: is a directory, expected a capture file (pcap or pcapng)`);
      }
      const { runDecode } = await import('../decode/run.ts');
      const decodeOptions: import('../decode/run.ts').DecodeCommandOptions = {};
      if (typeof options['count'] === 'number') decodeOptions.count = options['count'];
      if (options['verbose'] === true) decodeOptions.verbose = true;
      if (options['hex'] === true) decodeOptions.hex = true;
      if (options['json'] === true) decodeOptions.json = true;
      if (options['summary'] === true) decodeOptions.summary = true;
      if (typeof options['vni'] === 'number') decodeOptions.vni = options['vni'];
      if (typeof options['host'] === 'string') decodeOptions.host = options['host'];
      if (typeof options['port'] === 'number') decodeOptions.port = options['port'];
      if (typeof options['displayFilter'] === 'string') decodeOptions.displayFilter = options['displayFilter'];
      const ports: number[] = Array.isArray(options['vxlanPort']) ? (options['vxlanPort'] as number[]) : [];
      if (typeof options['dumps'] === 'string') {
        const { vxlanPortsFromDumps } = await import('../topology/vxlan-ports.ts');
        appendAll(ports, (await vxlanPortsFromDumps(options['dumps'])));
      }
      if (ports.length > 0) decodeOptions.vxlanPorts = ports;
      await runDecode(capture, decodeOptions);
    });
}

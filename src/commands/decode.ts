// `podpath decode FILE|-`: what is inside a capture, layer by layer, VXLAN inner
// frames included (8472 and 4789 without being told). The implementation lives in
// src/decode and is imported only when the command runs.
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { appendAll } from '../util/append.ts';

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 0 || n > max) throw new UsageError(`${name} wants a whole number from 0 to ${max}, got "${value}"`);
    return n;
  };
}

function collectPort(value: string, previous: number[] = []): number[] {
  return [...previous, positiveInteger('--vxlan-port', 65535)(value)];
}

export function register(program: Command): void {
  // tshark's -V means verbose, but the program's own -V is --version and commander
  // would take it anywhere on the line. Positional options make the program read its
  // options only before the subcommand, so `podpath decode -V` reaches this command
  // (`podpath -V` still prints the version).
  program.enablePositionalOptions();
  program
    .command('decode')
    .description('decode a pcap/pcapng capture layer by layer, tunnels (VXLAN 4789/8472, Geneve, GRE, IP-in-IP) included')
    .argument('<capture>', 'capture file (pcap or pcapng), or - for stdin')
    .option('-c, --count <n>', 'stop after N packets (after filtering)', positiveInteger('-c', Number.MAX_SAFE_INTEGER))
    .option('-V, --verbose', 'layered detail for every packet, outer and inner')
    .option('-x, --hex', 'add the bytes of each packet in hex and ASCII')
    .option('--json', 'one JSON object per packet per line: {frame, time, caplen, len, layers: [...]}')
    .option('--summary', 'only counts over the whole capture (packets, layers, tunnels by VNI, TCP flags)')
    .option('--vni <n>', 'only packets with this VXLAN or Geneve VNI', positiveInteger('--vni', 0xffffff))
    .option('--host <ip>', 'only packets with this IP address (outer or inner, source or destination)')
    .option('--port <n>', 'only packets with this UDP or TCP port (outer or inner)', positiveInteger('--port', 65535))
    .option('--vxlan-port <n>', 'also decode this UDP port as VXLAN (repeatable)', collectPort)
    .option('--dumps <dir>', "also decode as VXLAN the dstport of every vxlan device in this bundle's ip -d link dumps")
    .action(async (capture: string, options: Record<string, unknown>) => {
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
      const ports: number[] = Array.isArray(options['vxlanPort']) ? (options['vxlanPort'] as number[]) : [];
      if (typeof options['dumps'] === 'string') {
        const { vxlanPortsFromDumps } = await import('../decode/dump-ports.ts');
        appendAll(ports, (await vxlanPortsFromDumps(options['dumps'])));
      }
      if (ports.length > 0) decodeOptions.vxlanPorts = ports;
      await runDecode(capture, decodeOptions);
    });
}

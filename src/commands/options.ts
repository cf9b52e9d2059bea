// Options that several subcommands take, each parsed by one rule so that `--vxlan-port` means
// the same thing to decode and explain, and `--sport` the same to trace, ui and report.
import { UsageError } from '../errors.ts';

/** A TCP/UDP port: 1-65535 (0 is no port a packet is sent to). */
export function parsePort(option: string, text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65535) throw new UsageError(`${option} ${text}: expected a port between 1 and 65535`);
  return port;
}

/** Commander's parser for a repeatable port option that also takes a comma-separated list. */
export function collectPorts(option: string): (value: string, previous?: number[]) => number[] {
  return (value, previous = []) => [...previous, ...value.split(',').map((text) => parsePort(option, text.trim()))];
}

// Dotted-quad reading follows inet_pton(3) (glibc's inet_pton4 and Python's ipaddress agree): four
// decimal parts 0–255 and no leading zero, since iproute2 and inet_aton would read '010' as octal 8.
import { describe, expect, it } from 'vitest';
import { networkOf, parseIpv4 } from '../../src/util/address.ts';

describe('parseIpv4 reads what inet_pton reads', () => {
  it.each([
    ['10.0.0.1', 0x0a000001],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['192.168.1.10', 0xc0a8010a],
  ])('%s', (text, value) => expect(parseIpv4(text)).toBe(value));

  it.each(['010.0.0.1', '10.00.0.1', '1.2.3.04', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4/24', '0x1.2.3.4'])(
    'refuses %s',
    (text) => expect(parseIpv4(text)).toBeUndefined(),
  );

  it('networkOf masks to the prefix and refuses what parseIpv4 refuses', () => {
    expect(networkOf('10.244.1.7', 24)).toBe('10.244.1.0/24');
    expect(networkOf('10.244.1.7', 0)).toBe('0.0.0.0/0');
    expect(networkOf('010.244.1.7', 24)).toBeUndefined();
    expect(networkOf('10.244.1.7', 33)).toBeUndefined();
  });
});

// kube-proxy's chain names recomputed from the names in the comments of real dumps.
// Every expected chain name below is copied from the dump file named beside it
// (and the test checks the file really contains it), not from podpath.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  endpointChainName,
  ruleProbabilityText,
  serviceChainName,
  servicePortNameString,
} from '../../src/topology/kube-proxy/chain-names.ts';
import { corpusDir } from '../helpers/shared.ts';

const corpus = `${corpusDir}/iptables`;
const read = (file: string): string => readFileSync(join(corpus, file), 'utf8');

interface RealChain {
  file: string;
  /** "namespace/name[:port]" as the dump's comments print it. */
  servicePort: string;
  protocol: string;
  svcChain: string;
  /** endpoint "ip:port" (from the DNAT target in the dump) → its KUBE-SEP chain. */
  endpoints: [string, string][];
}

const realChains: RealChain[] = [
  {
    // `d KUBE-SVC-LOLE4ISW44XBNF3G` lists /* default/web */ and the SEP's DNAT `to:10.244.1.3:80` (line 39)
    file: 'tkng_kube-proxy-iptables-clusterip.txt',
    servicePort: 'default/web',
    protocol: 'tcp',
    svcChain: 'KUBE-SVC-LOLE4ISW44XBNF3G',
    endpoints: [['10.244.1.3:80', 'KUBE-SEP-MHDQ23KUGG7EGFMW']],
  },
  {
    // same service on another kind cluster, three endpoints (DNAT lines 66, 71, 76)
    file: 'tkng_kube-proxy-nodeport.txt',
    servicePort: 'default/web',
    protocol: 'tcp',
    svcChain: 'KUBE-SVC-LOLE4ISW44XBNF3G',
    endpoints: [
      ['10.244.1.6:80', 'KUBE-SEP-PJHHG4YJTBHVHUTY'],
      ['10.244.2.7:80', 'KUBE-SEP-4OIMBIYGK4QJUGT7'],
      ['10.244.2.8:80', 'KUBE-SEP-R53NX34J3PCIETEY'],
    ],
  },
  {
    // "kube-system/kube-dns:dns cluster IP" -p udp → KUBE-SVC-TCOU7JCQXEZGVUNU; DNAT line 55
    file: 'gravity_kube-proxy-iptables-save-grep.txt',
    servicePort: 'kube-system/kube-dns:dns',
    protocol: 'udp',
    svcChain: 'KUBE-SVC-TCOU7JCQXEZGVUNU',
    endpoints: [['10.244.26.3:53', 'KUBE-SEP-XHBRZSJMEH6MYGK7']],
  },
  {
    file: 'gravity_kube-proxy-iptables-save-grep.txt',
    servicePort: 'kube-system/kube-dns:dns-tcp',
    protocol: 'tcp',
    svcChain: 'KUBE-SVC-ERIFXISQEP7F7OF4',
    endpoints: [],
  },
  {
    // DNAT line 73
    file: 'gravity_kube-proxy-iptables-save-grep.txt',
    servicePort: 'kube-system/gravity-site:web',
    protocol: 'tcp',
    svcChain: 'KUBE-SVC-OFJYUSYH7DQHBRC2',
    endpoints: [['10.162.0.6:3009', 'KUBE-SEP-INXK3UZ5UZJK7GSG']],
  },
  {
    // "default/kubernetes:https cluster IP" line 73, DNAT line 70
    file: 'calico_felix-fv_iptables-dump.txt',
    servicePort: 'default/kubernetes:https',
    protocol: 'tcp',
    svcChain: 'KUBE-SVC-NPX46M4PTMTKRN6Y',
    endpoints: [['10.128.0.183:6443', 'KUBE-SEP-QAX236RR3UXXQODE']],
  },
];

describe('kube-proxy chain names (sha256 → base32, 16 chars)', () => {
  for (const real of realChains) {
    it(`recomputes ${real.svcChain} for ${real.servicePort}/${real.protocol} (${real.file})`, () => {
      const text = read(real.file);
      expect(text).toContain(real.svcChain);
      expect(serviceChainName(real.servicePort, real.protocol)).toBe(real.svcChain);
      for (const [endpoint, sepChain] of real.endpoints) {
        expect(text).toContain(sepChain);
        expect(text).toContain(endpoint);
        expect(endpointChainName(real.servicePort, real.protocol, endpoint)).toBe(sepChain);
      }
    });
  }

  it('builds ServicePortName.String() with and without a port name', () => {
    expect(servicePortNameString({ namespace: 'default', name: 'web' })).toBe('default/web');
    expect(servicePortNameString({ namespace: 'default', name: 'web', portName: '' })).toBe('default/web');
    expect(servicePortNameString({ namespace: 'kube-system', name: 'kube-dns', portName: 'dns' })).toBe('kube-system/kube-dns:dns');
  });

  it('lower-cases the protocol as kube-proxy does (strings.ToLower(Protocol))', () => {
    expect(serviceChainName('kube-system/kube-dns:dns', 'UDP')).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
  });
});

describe('probability text (Go fmt %0.10f of 1/(n-i))', () => {
  // Expected strings from `printf "%0.10f" <1/n>` (glibc, round-half-even on exact ties like Go's strconv).
  it.each([
    [2, '0.5000000000'],
    [3, '0.3333333333'],
    [7, '0.1428571429'],
    [1000, '0.0010000000'],
    [1024, '0.0009765625'],
  ])('1/%i → %s', (n, text) => {
    expect(ruleProbabilityText(n)).toBe(text);
  });

  it('rounds an exact tie half to even like Go (1/2048 = 0.00048828125)', () => {
    expect(ruleProbabilityText(2048)).toBe('0.0004882812');
    expect(ruleProbabilityText(4096)).toBe('0.0002441406');
  });
});

// One command's output found in the inputs, before parsing: where it came
// from, which namespace it belongs to (as far as the input says), and which
// parser reads it.

export type DumpKind =
  | 'addr'
  | 'link'
  | 'addr-json'
  | 'addr-brief'
  | 'route'
  | 'route-json'
  /** `route -n` / `netstat -rn` tables. */
  | 'route-table'
  | 'rule'
  | 'neigh'
  | 'neigh-json'
  | 'fdb'
  | 'fdb-json'
  | 'brctl'
  | 'iptables'
  | 'nft'
  | 'nft-json'
  | 'ipset'
  | 'ipvs'
  | 'sysctl'
  | 'kubectl-pods'
  | 'kubectl-svc'
  | 'kubectl-nodes'
  /** `kubectl get networkpolicy -A -o yaml|json`, or policies as people write them (YAML, `---` between). */
  | 'kubectl-networkpolicy'
  /** `kubectl get pods|svc,endpointslices|ns -A -o json|yaml`: Pods, Services, EndpointSlices, Namespaces (and any NetworkPolicy among them). */
  | 'kubectl-objects'
  /** `kubectl get ns --show-labels`. */
  | 'kubectl-namespaces';

/** How we learnt which namespace a dump belongs to. */
export type HostEvidence = 'bundle-node' | 'bundle-pod' | 'prompt' | 'exec' | 'option';

export interface DumpText {
  kind: DumpKind;
  text: string;
  file: string;
  /** Line of the text's first line in `file`. */
  firstLine: number;
  /** Node or pod name; absent when nothing said (then `--node` decides). */
  host?: string;
  hostEvidence?: HostEvidence;
  /** 'pod' when the input says so (bundle pods/ folder, kubectl exec). */
  hostKind?: 'node' | 'pod';
  /** For a pod's dump in a bundle: the node folder it sits under. */
  podNode?: string;
  /** The command as typed, when a prompt gave it. */
  command?: string;
  /** A filtered dump (`show dev X`, `| grep`): merged, never compared for disagreement. */
  partial: boolean;
  /** `ip neigh show dev X` / `bridge fdb show dev X` omit the device on each line. */
  defaultDev?: string;
  /** `cat /proc/sys/…`: the setting's path (its output is the bare value). */
  procPath?: string;
  /** `ip -6 …` / `ip -4 …`: the family the command asked for (an `ip -6 route` `default` is IPv6). */
  family?: 4 | 6;
  /** `iptables -t nat -S`: the table its rules belong to (the output names none). */
  table?: string;
  /** The table was not given anywhere and was assumed (say so when reading). */
  tableAssumed?: boolean;
}

/** The `dumps` names the model uses (NetNamespace.dumps). */
export function modelDumpName(kind: DumpKind): string {
  switch (kind) {
    case 'addr':
    case 'addr-json':
    case 'addr-brief':
      return 'addr';
    case 'link':
      return 'link';
    case 'route':
    case 'route-json':
    case 'route-table':
      return 'route';
    case 'iptables':
      return 'iptables';
    case 'nft':
    case 'nft-json':
      return 'nft';
    case 'ipset':
      return 'ipset';
    case 'ipvs':
      return 'ipvs';
    case 'neigh-json':
      return 'neigh';
    case 'fdb-json':
      return 'fdb';
    default:
      return kind;
  }
}

// Reads the command typed at a prompt: which dump it prints, whether it is
// filtered, and whether a wrapper (`docker exec NODE`, `kubectl exec POD --`,
// `ip netns exec NS`) names the namespace it ran in. In a flattened paste the
// command's output follows on the same line, so `length` says how many words
// the command itself took, by the grammar of `ip`, `bridge`, `brctl` …
import type { DumpKind } from './dump.ts';

export interface CommandInfo {
  /** Words of the command itself (the rest of the line is output). */
  length: number;
  kind?: DumpKind;
  /** Why this command's output is not read (`ip route get`, `ip -br`). */
  skip?: string;
  partial: boolean;
  defaultDev?: string;
  host?: string;
  hostKind?: 'node' | 'pod';
  /**
   * The wrapper names its target by a shell expansion (`docker exec $NODENAME ip a`,
   * `kubectl exec $(kubectl get pod -o name) -- ip r`): it ran elsewhere than the prompt's
   * host, in a namespace the paste does not spell. The expansion's text.
   */
  unnamedTarget?: string;
  /** `cat /proc/sys/…`: the setting's path. */
  procPath?: string;
  family?: 4 | 6;
  /** `iptables -t nat -S`, `ip route show table 2`: the table (the output names none). */
  table?: string;
  /** `nsenter …`: ran in some other namespace the command line does not name. */
  enteredUnknown?: boolean;
  /** The command's words, for messages. */
  text: string;
}

/** Commands whose prompt we trust mid-line in a flattened paste. */
export const KNOWN_COMMANDS = new Set([
  'exit', 'logout', 'podman',
  'ip', 'bridge', 'brctl', 'iptables-save', 'ip6tables-save', 'iptables-legacy-save', 'iptables-nft-save', 'iptables',
  'ip6tables', 'kubectl', 'k', 'kctl', 'docker', 'crictl', 'nerdctl', 'nsenter', 'sudo', 'cat', 'ps', 'ss', 'tcpdump', 'ipset',
  'conntrack', 'sysctl', 'route', 'netstat', 'arp', 'ping', 'curl', 'ethtool', 'grep', 'ls', 'make', 'gobgp',
  'calicoctl', 'wget', 'nc', 'dig', 'host', 'nslookup', 'traceroute', 'tracepath', 'echo', 'gravity', 'xtables-monitor', 'ssh',
  'nft', 'ipvsadm',
]);

const DUMP_TOOLS = new Set(['ip', 'bridge', 'brctl', 'iptables-save', 'iptables-legacy-save', 'iptables-nft-save', 'nft', 'ipset', 'ipvsadm']);
const IP_OPTIONS_WITH_VALUE = new Set(['-n', '-netns', '-f', '-family', '-rc', '-rcvbuf', '-l', '-loops', '-b', '-batch']);
const SHOW_VERBS = new Set(['show', 'list', 'lst', 'ls', 'sh', 's']);

function looksLikeOutput(word: string): boolean {
  return /^\d+:/.test(word) || /^[0-9a-f.:]+(\/\d+)?$/i.test(word) || word === 'default' || word.startsWith('<') || /[^\x20-\x7e]/.test(word);
}

function objectOf(word: string): 'addr' | 'link' | 'route' | 'rule' | 'neigh' | undefined {
  if (word.length === 0) return undefined;
  if ('address'.startsWith(word) || word === 'addr') return 'addr';
  if ('link'.startsWith(word)) return 'link';
  if (word === 'r' || 'route'.startsWith(word)) return 'route';
  if ('rule'.startsWith(word)) return 'rule';
  if ('neighbour'.startsWith(word) || 'neighbor'.startsWith(word)) return 'neigh';
  return undefined;
}

/** `| grep -v foo` after a dump command: output is filtered. */
function pipeLength(words: string[], at: number): number {
  if (words[at] !== '|') return 0;
  let n = 1;
  const tool = words[at + n];
  if (tool !== 'grep' && tool !== 'egrep' && tool !== 'head' && tool !== 'tail' && tool !== 'sort') return words.length - at;
  n++;
  while ((words[at + n] ?? '').startsWith('-')) n++;
  if (tool === 'grep' || tool === 'egrep') n++;
  return n + pipeLength(words, at + n);
}

/**
 * A tool run by its path (`./kubectl` from a build directory, `/usr/sbin/ip`) is the tool: its
 * file name, when that is a command we know. Only words in a tool's place are read this way.
 */
export function toolName(word: string | undefined): string | undefined {
  if (word === undefined || !word.includes('/')) return word;
  const base = /^(?:\.{1,2}|~)?(?:\/[\w.+-]+)*\/([\w.+-]+)$/.exec(word)?.[1];
  return base !== undefined && KNOWN_COMMANDS.has(base) ? base : word;
}

const KUBECTL_EXEC_VALUE_OPTIONS = new Set(['-n', '--namespace', '-c', '--container', '--context', '--kubeconfig', '-f', '--filename']);

/**
 * `kubectl exec [opts] POD [opts] COMMAND …` without `--` (kubectl before 1.18 took it; old
 * threads show it): the pod is the first word that is not an option, the command the second.
 * Read only when that command is a dump tool, so a flattened paste's output is never taken for it.
 */
function legacyExec(words: string[], exec: number): { pod: string; command: number } | undefined {
  let pod: string | undefined;
  for (let k = exec + 1; k < words.length; k++) {
    const a = words[k]!;
    if (KUBECTL_EXEC_VALUE_OPTIONS.has(a)) k++;
    else if (a.startsWith('-')) continue;
    else if (pod === undefined) pod = a;
    else return DUMP_TOOLS.has(toolName(a) ?? '') ? { pod, command: k } : undefined;
  }
  return undefined;
}

export function readCommand(input: string[]): CommandInfo {
  const words = input.slice();
  let at = 0;
  let host: string | undefined;
  let hostKind: 'node' | 'pod' | undefined;
  let entered = false;
  // Unwrap sudo / docker exec / kubectl exec / ip netns exec / nsenter.
  for (;;) {
    const w = toolName(words[at]);
    if (w !== undefined) words[at] = w;
    if (w === 'sudo') at++;
    else if (w && /^[A-Z_][A-Z0-9_]*=\S*$/.test(w)) at++;
    else if ((w === 'docker' || w === 'nerdctl' || w === 'crictl') && words[at + 1] === 'exec') {
      at += 2;
      while ((words[at] ?? '').startsWith('-')) at++;
      if (words[at]) host = words[at++];
      hostKind = 'node';
    } else if ((w === 'kubectl' || w === 'k') && words.includes('exec') && words.includes('--')) {
      const dash = words.indexOf('--', at);
      const exec = words.indexOf('exec', at);
      const args = words.slice(exec + 1, dash);
      for (let k = 0; k < args.length; k++) {
        const a = args[k]!;
        if (a === '-n' || a === '--namespace' || a === '-c' || a === '--container') k++;
        else if (!a.startsWith('-')) host ??= a;
      }
      hostKind = 'pod';
      at = dash + 1;
    } else if ((w === 'kubectl' || w === 'k') && words.includes('exec') && legacyExec(words, words.indexOf('exec', at)) !== undefined) {
      const legacy = legacyExec(words, words.indexOf('exec', at))!;
      host = legacy.pod;
      hostKind = 'pod';
      at = legacy.command;
    } else if (w === 'ssh' && words.slice(at + 1).some((x) => DUMP_TOOLS.has(x))) {
      // `ssh [-p 22] [root@]worker-2 ip r`: the dump is worker-2's.
      at++;
      while ((words[at] ?? '').startsWith('-')) at += /^-[bcDEeFIiJLlmOopQRSWw]$/.test(words[at]!) ? 2 : 1;
      const target = words[at++] ?? '';
      host = target.includes('@') ? target.slice(target.indexOf('@') + 1) : target;
      hostKind = 'node';
    } else if (w === 'ip' && (words[at + 1] === 'netns' || words[at + 1] === 'net') && words[at + 2] === 'exec') {
      host = words[at + 3];
      hostKind = 'pod';
      at += 4;
    } else if (w === 'nsenter') {
      // `nsenter -t $(pidof x) -n ip a`: the target is often a shell expression; the dump
      // command is the first tool we know after it. Which namespace it entered is unknown.
      const tool = words.findIndex((word, k) => k > at && DUMP_TOOLS.has(toolName(word) ?? ''));
      if (tool < 0) break;
      entered = true;
      at = tool;
    } else if (w === 'gravity' && words[at + 1] === 'exec') {
      at += 2;
      while ((words[at] ?? '').startsWith('-')) at++;
    } else break;
  }
  // `$NODENAME`, `${POD}`, `$(…)`, a backquote: the shell's value, not a name.
  const unnamedTarget = host !== undefined && /[$`]/.test(host) ? host : undefined;
  if (unnamedTarget !== undefined) host = undefined;
  const base = {
    partial: false,
    ...(host !== undefined ? { host } : {}),
    ...(hostKind ? { hostKind } : {}),
    ...(entered ? { enteredUnknown: true } : {}),
    ...(unnamedTarget !== undefined ? { unnamedTarget } : {}),
  };
  const rest = words.slice(at);
  const inner = readInner(rest);
  const length = at + inner.length;
  return { ...base, ...inner, partial: inner.partial, length, text: input.slice(0, length).join(' ') };
}

type Inner = Omit<CommandInfo, 'text' | 'host' | 'hostKind' | 'enteredUnknown'>;

function readInner(words: string[]): Inner {
  const tool = words[0] ?? '';
  if (tool === 'ip') return readIp(words);
  if (tool === 'bridge') return readBridge(words);
  if (tool === 'brctl') {
    if (words[1] === 'show') {
      const length = words[2] !== undefined && !looksLikeBrctlOutput(words[2]) && words[2] !== '|' ? 3 : 2;
      return withPipe(words, length, { kind: 'brctl', partial: length === 3 });
    }
    return { length: Math.min(words.length, 2), skip: `\`brctl ${words[1] ?? ''}\` output is not read`, partial: false };
  }
  if (/^ip6?tables(-legacy|-nft)?-save$/.test(tool)) {
    let n = 1;
    while ((words[n] ?? '').startsWith('-')) n += words[n] === '-t' || words[n] === '--table' || words[n] === '-M' ? 2 : 1;
    if (tool.startsWith('ip6')) return { length: n, skip: 'IPv6 rules (ip6tables-save) are not modelled', partial: false };
    return withPipe(words, n, { kind: 'iptables', partial: n > 1 && words.slice(1, n).some((w) => w === '-t' || w === '--table') });
  }
  if (tool === 'nft') return readNft(words);
  if (tool === 'ipset') {
    // `ipset list [NAME]`, `ipset -L`, `ipset save`: one set named makes it partial.
    const verb = words[1] ?? '';
    if (!['list', '-L', '-l', 'save', '-S', '-s'].includes(verb)) return { length: Math.min(words.length, 2), skip: `\`ipset ${verb}\` output is not read`, partial: false };
    let n = 2;
    while ((words[n] ?? '').startsWith('-')) n++;
    const named = words[n] !== undefined && words[n] !== '|' && !looksLikeOutput(words[n]!) && !/^Name:$/.test(words[n]!);
    return withPipe(words, named ? n + 1 : n, { kind: 'ipset', partial: named });
  }
  if (tool === 'ipvsadm') {
    let n = 1;
    let listing = false;
    while ((words[n] ?? '').startsWith('-')) {
      if (/^-[A-Za-z]*[LlSs]/.test(words[n]!) || words[n] === '--list' || words[n] === '--save') listing = true;
      n++;
    }
    if (!listing) return { length: n, skip: '`ipvsadm` without -L/-S changes the table; only listings are read', partial: false };
    return withPipe(words, n, { kind: 'ipvs', partial: false });
  }
  if (tool === 'kubectl' || tool === 'k' || tool === 'kctl') return readKubectl(words);
  if (tool === 'route' || tool === 'netstat') return readRouteTable(words);
  if (/^ip6?tables(-legacy|-nft)?$/.test(tool)) return readIptables(words);
  if (tool === 'sysctl') {
    // `sysctl -a | grep …`, `sysctl net.ipv4.ip_forward`, `sysctl -w k=v` all print `key = value`.
    let n = 1;
    while (n < words.length && words[n] !== '|' && (words[n]!.startsWith('-') || /^[a-z0-9_]+(?:\.[\w@:-]+)+(=\S*)?$/.test(words[n]!))) n++;
    return withPipe(words, n, { kind: 'sysctl', partial: true });
  }
  if (tool === 'cat' && /^\/proc\/sys\/net\/\S+$/.test(words[1] ?? '')) return { length: 2, kind: 'sysctl', partial: true, procPath: words[1]! };
  return { length: words.length, partial: false, skip: `\`${tool}\` output is not a dump podpath reads` };
}

/** `nft [-a] [-j] [-n…] list ruleset` or `nft list table FAMILY NAME` (partial). */
function readNft(words: string[]): Inner {
  let n = 1;
  let json = false;
  while ((words[n] ?? '').startsWith('-')) {
    if (words[n] === '-j' || words[n] === '--json' || /^-[a-z]*j[a-z]*$/.test(words[n]!)) json = true;
    n++;
  }
  const kind = json ? 'nft-json' : 'nft';
  if (words[n] !== 'list') return { length: Math.min(words.length, n + 1), skip: `\`nft ${words[n] ?? ''}\` output is not a listing podpath reads`, partial: false };
  if (words[n + 1] === 'ruleset') {
    const family = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'].includes(words[n + 2] ?? '') ? 1 : 0;
    return withPipe(words, n + 2 + family, { kind, partial: family > 0 });
  }
  if (words[n + 1] === 'table' || words[n + 1] === 'chain') {
    let m = n + 2;
    if (['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'].includes(words[m] ?? '')) m++;
    m += words[n + 1] === 'chain' ? 2 : 1;
    return withPipe(words, Math.min(m, words.length), { kind, partial: true });
  }
  return { length: Math.min(words.length, n + 2), skip: `\`nft list ${words[n + 1] ?? ''}\` output is not read`, partial: false };
}

/** `route -n`, `route -6 -n`, `netstat -rn`, `netstat -nr6`: the kernel's routing table as net-tools prints it. */
function readRouteTable(words: string[]): Inner {
  const tool = words[0]!;
  let n = 1;
  let routes = tool === 'route';
  let family: 4 | 6 = 4;
  while ((words[n] ?? '').startsWith('-') || (words[n - 1] === '-A' && words[n] !== undefined)) {
    const opt = words[n]!;
    if (tool === 'netstat' && /^-[a-zA-Z46]*r/.test(opt)) routes = true;
    if (opt === '--route') routes = true;
    if (/^-[a-zA-Z]*6/.test(opt) || opt === 'inet6') family = 6;
    n++;
  }
  if (!routes) return { length: words.length, partial: false, skip: `\`${words.slice(0, n).join(' ')}\` output is not a dump podpath reads` };
  if (tool === 'route' && words[n] !== undefined && /^(add|del|flush)$/.test(words[n]!)) return { length: words.length, partial: false, skip: '`route add/del` changes the table, it prints none' };
  // The table lacks src, proto and scope: merged with `ip route`, never weighed against it.
  return withPipe(words, n, { kind: 'route-table', partial: true, family });
}

/** `iptables [-t T] -S [CHAIN]` is iptables-save's rule syntax without the table lines; `-L` is a listing that cannot be replayed. */
function readIptables(words: string[]): Inner {
  let n = 1;
  let table = 'filter';
  let action: 'S' | 'L' | undefined;
  let chain = false;
  while (n < words.length && words[n] !== '|') {
    const w = words[n]!;
    if (w === '-t' || w === '--table') {
      table = words[n + 1] ?? table;
      n += 2;
      continue;
    }
    if (/^--?(list-rules|S)$/.test(w) || /^-[a-zA-Z]*S[a-zA-Z]*$/.test(w)) action = 'S';
    else if (/^--?(list|L)$/.test(w) || /^-[a-zA-Z]*L[a-zA-Z]*$/.test(w)) action = 'L';
    else if (!w.startsWith('-') && action !== undefined && !chain && /^[\w-]+$/.test(w)) chain = true;
    else if (!w.startsWith('-')) break;
    n++;
  }
  if (action === 'L') {
    return { length: n + pipeLength(words, n), partial: false, skip: '-L output cannot be replayed: paste `iptables-save` or `iptables -S`' };
  }
  if (action !== 'S') return { length: words.length, partial: false, skip: `\`${words.slice(0, n).join(' ')}\` output is not a dump podpath reads` };
  if (words[0]!.startsWith('ip6')) return { length: n, skip: 'IPv6 rules (ip6tables -S) are not modelled', partial: false };
  return withPipe(words, n, { kind: 'iptables', partial: true, table });
}

function looksLikeBrctlOutput(word: string): boolean {
  return word === 'bridge' || looksLikeOutput(word);
}

function withPipe(words: string[], length: number, info: Omit<Inner, 'length'>): Inner {
  const pipe = pipeLength(words, length);
  return { ...info, length: length + pipe, partial: info.partial || pipe > 0 };
}

function readIp(words: string[]): Inner {
  let n = 1;
  let json = false;
  let brief = false;
  let family: 4 | 6 | undefined;
  while ((words[n] ?? '').startsWith('-')) {
    const opt = words[n]!;
    if (opt === '-j' || opt === '-json' || opt === '--json') json = true;
    else if (/^-(br|brief)$/.test(opt)) brief = true;
    else if (/^-[46sjdpc]+$/.test(opt)) {
      if (opt.includes('j')) json = true;
      if (opt.includes('6')) family = 6;
      else if (opt.includes('4')) family = 4;
    } else if ((opt === '-f' || opt === '-family') && /^inet6?$/.test(words[n + 1] ?? '')) family = words[n + 1] === 'inet6' ? 6 : 4;
    n += IP_OPTIONS_WITH_VALUE.has(opt) ? 2 : 1;
  }
  // One family of a table is a filtered dump: merged with the full one, never weighed against it.
  const byFamily = family !== undefined ? { family, partial: true } : {};
  if (words[n] === 'netconf') {
    let m = n + 1;
    if (words[m] === 'show') m++;
    if (words[m] === 'dev' && words[m + 1] !== undefined) m += 2;
    return withPipe(words, m, { kind: 'sysctl', partial: true });
  }
  const object = objectOf(words[n] ?? '');
  if (!object) return { length: Math.min(words.length, n + 1), skip: `\`ip ${words[n] ?? ''}\` output is not read`, partial: false };
  n++;
  const verb = words[n];
  if (verb === 'get') return { length: Math.min(words.length, n + 2), skip: '`ip … get` shows one lookup, not the table', partial: false };
  if (verb !== undefined && SHOW_VERBS.has(verb)) n++;
  let partial = false;
  let defaultDev: string | undefined;
  let table: string | undefined;
  // Filters after `show`: `dev X`, `table X`, or a bare device name (addr/link).
  for (;;) {
    const word = words[n];
    if (word === undefined) break;
    if (['dev', 'table', 'type', 'scope', 'proto', 'vrf', 'master', 'nud', 'label', 'to', 'match', 'root', 'exact', 'from'].includes(word) && words[n + 1] !== undefined) {
      if (word === 'dev') defaultDev = words[n + 1];
      // `ip route show table 2` prints that table's routes without `table 2` on them.
      if (word === 'table' && object === 'route' && words[n + 1] !== 'all') table = TABLE_NAMES[words[n + 1]!] ?? words[n + 1];
      if (!(word === 'table' && words[n + 1] === 'all')) partial = true;
      n += 2;
    } else if (['up', 'primary', 'secondary', 'permanent', 'dynamic'].includes(word)) {
      partial = true;
      n++;
    } else if ((object === 'route' || object === 'neigh') && (/^[0-9a-f.:]+(\/\d+)?$/i.test(word) || (object === 'route' && word === 'default')) && (n === words.length - 1 || words[n + 1] === '|')) {
      // `ip neigh show 10.40.0.1`, `ip -j route show default`: a selector, when nothing (or only a pipe) follows it on the line.
      partial = true;
      n++;
    } else if ((object === 'addr' || object === 'link') && !looksLikeOutput(word) && word !== '|' && /^[\w.@-]{1,15}$/.test(word)) {
      partial = true;
      n++;
    } else break;
  }
  if (brief) {
    // Brief output lacks ifindexes and MACs: merge it into the full dumps, never weigh it against them.
    if (object === 'addr' || object === 'link') return withPipe(words, n, { kind: 'addr-brief', partial: true, ...(family !== undefined ? { family } : {}) });
    return { length: n + pipeLength(words, n), skip: `\`ip -br ${object}\` output is not read`, partial };
  }
  let kind: DumpKind;
  if (object === 'addr' || object === 'link') kind = json ? 'addr-json' : object;
  else if (object === 'route') kind = json ? 'route-json' : 'route';
  else kind = object;
  if (json && object === 'neigh') kind = 'neigh-json';
  if (json && object === 'rule') return { length: n, skip: '`ip -j rule` output is not read', partial };
  const info: Omit<Inner, 'length'> = { kind, partial, ...byFamily };
  if (defaultDev !== undefined) info.defaultDev = defaultDev;
  if (table !== undefined) info.table = table;
  return withPipe(words, n, info);
}

/** The kernel's reserved table ids by the names `ip` prints for them (iproute2's rt_tables). */
const TABLE_NAMES: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default' };

function readBridge(words: string[]): Inner {
  let n = 1;
  let json = false;
  while ((words[n] ?? '').startsWith('-')) {
    if (/^-(j|json)$/.test(words[n]!) || /^-[a-z]*j[a-z]*$/.test(words[n]!)) json = true;
    n++;
  }
  if (words[n] !== 'fdb') return { length: Math.min(words.length, n + 1), skip: `\`bridge ${words[n] ?? ''}\` output is not read`, partial: false };
  n++;
  if (words[n] === 'get') return { length: Math.min(words.length, n + 4), skip: '`bridge fdb get` shows one lookup, not the table', partial: false };
  if (words[n] === 'show' || words[n] === 'list' || words[n] === 'ls') n++;
  let partial = false;
  let defaultDev: string | undefined;
  while ((words[n] === 'dev' || words[n] === 'br' || words[n] === 'brport' || words[n] === 'vlan') && words[n + 1] !== undefined) {
    if (words[n] === 'dev') defaultDev = words[n + 1];
    partial = true;
    n += 2;
  }
  const info: Omit<Inner, 'length'> = { kind: json ? 'fdb-json' : 'fdb', partial };
  if (defaultDev !== undefined) info.defaultDev = defaultDev;
  return withPipe(words, n, info);
}

const POLICY_RESOURCES = new Set(['networkpolicy', 'networkpolicies', 'netpol', 'networkpolicies.networking.k8s.io']);
/** Resources whose JSON/YAML kubectl-objects.ts reads. */
const OBJECT_RESOURCES = new Set([
  'pods', 'pod', 'po', 'svc', 'services', 'service', 'endpointslices', 'endpointslice', 'endpointslices.discovery.k8s.io', 'ns', 'namespace', 'namespaces',
]);

function readKubectl(words: string[]): Inner {
  if (words[1] !== 'get') return { length: words.length, skip: `\`kubectl ${words[1] ?? ''}\` output is not read`, partial: false };
  const what = words[2] ?? '';
  let n = 3;
  while (n < words.length && (words[n]!.startsWith('-') || ['wide', 'kube-system', 'default'].includes(words[n]!) || words[n - 1] === '-n' || words[n - 1] === '-o' || words[n - 1] === '-l')) n++;
  const output = words.slice(3).map((w, k, all) => (w === '-o' || w === '--output' ? all[k + 1] : /^(?:-o|--output=)(\S+)$/.exec(w)?.[1])).find((o) => o !== undefined);
  // The JSON and YAML forms: every word up to a pipe is the command (`kubectl get pod web-1 -o yaml`).
  if (output === 'yaml' || output === 'json') {
    const end = words.indexOf('|') >= 0 ? words.indexOf('|') : words.length;
    const kinds = what.split(',').map((k) => k.toLowerCase());
    if (kinds.every((k) => POLICY_RESOURCES.has(k))) return { length: end, kind: 'kubectl-networkpolicy', partial: false };
    if (kinds.every((k) => POLICY_RESOURCES.has(k) || OBJECT_RESOURCES.has(k))) return { length: end, kind: 'kubectl-objects', partial: false };
    return { length: end, skip: `\`kubectl get ${what} -o ${output}\` output is not read (podpath reads pods, svc, endpointslices, ns and networkpolicy)`, partial: false };
  }
  // NetworkPolicy is read from its YAML or JSON (the table has no rules in it).
  if (POLICY_RESOURCES.has(what)) {
    return { length: n, skip: `\`kubectl get ${what}\` table is not read: paste \`kubectl get networkpolicy -A -o yaml\` (or -o json)`, partial: false };
  }
  if (['ns', 'namespace', 'namespaces'].includes(what) && output === undefined) return { length: n, kind: 'kubectl-namespaces', partial: false };
  if (output !== undefined && output !== 'wide') return { length: n, skip: `\`kubectl get ${what} -o ${output}\` output is not read: paste the \`-o wide\` table or \`-o json\``, partial: false };
  if (['pods', 'pod', 'po'].includes(what)) return { length: n, kind: 'kubectl-pods', partial: false };
  if (['svc', 'services', 'service'].includes(what)) return { length: n, kind: 'kubectl-svc', partial: false };
  if (['nodes', 'node', 'no'].includes(what)) return { length: n, kind: 'kubectl-nodes', partial: false };
  return { length: n, skip: `\`kubectl get ${what}\` output is not read`, partial: false };
}

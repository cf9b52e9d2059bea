// Commands that switch a transcript into another network namespace: an
// interactive shell inside a pod or container, or nsenter into a process's
// netns. After them the prompt often keeps the host's name (nsenter starts the
// same shell with the same PS1), so what follows must be attributed by the
// command, not the prompt, until the matching `exit`:
//
//   nsenter -t 4242 -n            nsenter --net=/var/run/netns/cni-1234 bash
//   ip netns exec cni-1234 bash   kubectl exec -it web-0 -n shop -c app -- sh
//   docker exec -it 3f2a sh       crictl exec -it 3f2a1b /bin/sh
//
// The single-command forms (`nsenter -t 4242 -n ip a`, `kubectl exec POD --
// ip r`) are read by command.ts: they attribute only their own output.

export interface ShellEntry {
  /** The namespace's name when the command says it (pod, container, netns, `nsenter-t-PID`). */
  name?: string;
  hostKind?: 'node' | 'pod';
  /** The command's words, for messages. */
  text: string;
}

const SHELL = /^(?:\/(?:usr\/)?bin\/)?(?:ba|z|a|da|k|fi)?sh$/;

/** A shell with nothing to run (`bash`, `sh -l`), or nothing at all: an interactive session starts. */
function startsShell(rest: string[]): boolean {
  if (rest.length === 0) return true;
  if (!SHELL.test(rest[0]!)) return false;
  return !rest.slice(1).some((w) => w === '-c' || !w.startsWith('-'));
}

/** Leading `sudo` and `VAR=value` words. */
function unwrap(words: string[]): string[] {
  let at = 0;
  while (words[at] === 'sudo' || /^[A-Z_][A-Z0-9_]*=\S*$/.test(words[at] ?? '')) at++;
  return words.slice(at);
}

/**
 * The namespace `nsenter …` enters, by name: a named netns (`--net=/run/netns/X`),
 * or a literal PID (`-t 4242`, `--net=/proc/4242/ns/net`) as `nsenter-t-4242`, so
 * the shell form and single commands on the same PID land in one namespace.
 * Undefined when the target is a shell expression (`-t $(pidof x)`).
 */
export function nsenterTarget(words: string[]): { entersNet: boolean; name?: string; rest: string[] } {
  let name: string | undefined;
  let entersNet = false;
  let at = 1;
  for (; at < words.length; at++) {
    const w = words[at]!;
    const net = /^(?:--net|--network)(?:=(\S+))?$/.exec(w) ?? /^-n(\S+)$/.exec(w);
    if (w === '-n' || net) {
      entersNet = true;
      const path = net?.[1];
      const named = path !== undefined ? /^\/(?:var\/)?run\/netns\/([\w.-]+)$/.exec(path) : null;
      const pid = path !== undefined ? /^\/proc\/(\d+)\/ns\/net$/.exec(path) : null;
      if (named) name = named[1]!;
      else if (pid) name = `nsenter-t-${pid[1]}`;
      continue;
    }
    if (w === '-a' || w === '--all') {
      entersNet = true;
      continue;
    }
    const target = /^(?:-t|--target)(?:=?(\S+))?$/.exec(w);
    if (target) {
      const value = target[1] ?? words[++at] ?? '';
      if (/^\d+$/.test(value)) name ??= `nsenter-t-${value}`;
      // `-t $(pidof nginx)` / `-t \`ps … | awk …\``: the expression runs to its closing word.
      else at = expressionEnd(words, at, value);
      continue;
    }
    if (w === '--') {
      at++;
      break;
    }
    if (!w.startsWith('-')) break;
  }
  return name !== undefined ? { entersNet, name, rest: words.slice(at) } : { entersNet, rest: words.slice(at) };
}

/** Index of the last word of a `$(…)` or backtick expression that starts at `words[at]`. */
function expressionEnd(words: string[], at: number, first: string): number {
  const close = first.startsWith('$(') ? ')' : first.startsWith('`') ? '`' : undefined;
  if (close === undefined || (first.length > 2 && first.endsWith(close) && !(close === '`' && first.length === 1))) return at;
  let k = at + 1;
  while (k < words.length && !words[k]!.endsWith(close)) k++;
  return Math.min(k, words.length - 1);
}

/** Values of the options `kubectl exec` and `docker/crictl exec` take, so the pod or container name is found. */
const KUBECTL_VALUE_OPTIONS = new Set(['-n', '--namespace', '-c', '--container', '--context', '--kubeconfig', '--cluster', '--user', '-f', '--filename']);
const DOCKER_VALUE_OPTIONS = new Set(['-u', '--user', '-e', '--env', '-w', '--workdir', '--env-file', '--detach-keys']);

export function readShellEntry(allWords: string[]): ShellEntry | undefined {
  const words = unwrap(allWords);
  const tool = words[0] ?? '';
  const text = allWords.join(' ');
  if (tool === 'nsenter') {
    const target = nsenterTarget(words);
    if (!target.entersNet || !startsShell(target.rest)) return undefined;
    return target.name !== undefined ? { name: target.name, text } : { text };
  }
  if (tool === 'ip' && (words[1] === 'netns' || words[1] === 'net') && words[2] === 'exec' && words[3] !== undefined) {
    return startsShell(words.slice(4)) ? { name: words[3], hostKind: 'pod', text } : undefined;
  }
  if ((tool === 'kubectl' || tool === 'k' || tool === 'kctl') && words.includes('exec')) {
    const exec = words.indexOf('exec');
    const dash = words.indexOf('--', exec);
    let pod: string | undefined;
    let k = exec + 1;
    for (; k < words.length && (dash < 0 || k < dash); k++) {
      const a = words[k]!;
      if (KUBECTL_VALUE_OPTIONS.has(a)) k++;
      else if (a.startsWith('-')) continue;
      else if (pod === undefined) pod = a.replace(/^pods?\//, '');
      else break; // old syntax: `kubectl exec -it POD sh`
    }
    const rest = dash >= 0 ? words.slice(dash + 1) : words.slice(k);
    if (pod === undefined || !startsShell(rest) || rest.length === 0) return undefined;
    return { name: pod, hostKind: 'pod', text };
  }
  if (['docker', 'nerdctl', 'podman', 'crictl'].includes(tool) && words[1] === 'exec') {
    let k = 2;
    for (; k < words.length && words[k]!.startsWith('-'); k++) if (DOCKER_VALUE_OPTIONS.has(words[k]!)) k++;
    const container = words[k];
    const rest = words.slice(k + 1);
    if (container === undefined || rest.length === 0 || !startsShell(rest)) return undefined;
    // A CRI container is a pod's; a docker container may be a kind node: its dumps decide.
    return tool === 'crictl' ? { name: container, hostKind: 'pod', text } : { name: container, text };
  }
  return undefined;
}

/** `exit`, `logout` (or the `^D` some pastes show): the shell a switch started ends. */
export function endsShell(words: string[]): boolean {
  return words.length > 0 && (words[0] === 'exit' || words[0] === 'logout' || words[0] === '^D') && words.length <= 2;
}

// One running lab: the network namespaces of a scenario's nodes and pods, and the
// tools started inside them. teardown() stops every tool it started (by its own pid)
// and deletes every namespace it created, and is safe to call more than once.
import { Background, inNs, run, type RunOptions, type RunResult } from './exec.ts';
import type { NodeSpec, PodSpec, ScenarioSpec } from './spec.ts';

/** Labs with namespaces up, so a signal handler can still tear them down. */
export const activeLabs = new Set<Lab>();

export class Lab {
  private readonly namespaceOf = new Map<string, string>();
  private readonly created: string[] = [];
  private readonly tools: Background[] = [];

  constructor(
    /** Namespace name prefix, e.g. "pl" (samples) or "pl-t" (the vitest run). */
    readonly prefix: string,
    readonly spec: ScenarioSpec,
  ) {
    for (const node of spec.nodes) this.namespaceOf.set(node.name, this.nsName(shortNodeName(node.name)));
    for (const pod of spec.pods) this.namespaceOf.set(pod.name, this.nsName(pod.name));
  }

  private nsName(short: string): string {
    return `${this.prefix}-${this.spec.tag}-${short}`;
  }

  /** Every namespace name this lab uses, whether or not it exists yet. */
  get namespaceNames(): string[] {
    return [...this.namespaceOf.values()];
  }

  ns(at: string): string {
    const name = this.namespaceOf.get(at);
    if (name === undefined) throw new Error(`lab ${this.spec.name}: no node or pod named ${at}`);
    return name;
  }

  node(name: string): NodeSpec {
    const node = this.spec.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`lab ${this.spec.name}: no node ${name}`);
    return node;
  }

  podsOn(node: string): PodSpec[] {
    return this.spec.pods.filter((p) => p.node === node);
  }

  isNode(at: string): boolean {
    return this.spec.nodes.some((n) => n.name === at);
  }

  /** Creates all namespaces, after removing leftovers of an earlier run that died. */
  createNamespaces(): void {
    removeNamespaces(this.namespaceNames);
    activeLabs.add(this);
    for (const ns of this.namespaceNames) {
      run(['ip', 'netns', 'add', ns]);
      this.created.push(ns);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** `ip -n <ns> …` */
  ip(at: string, ...args: string[]): RunResult {
    return run(['ip', '-n', this.ns(at), ...args]);
  }

  exec(at: string, command: string[], options?: RunOptions): RunResult {
    return run(inNs(this.ns(at), command), options);
  }

  sysctl(at: string, setting: string): void {
    this.exec(at, ['sysctl', '-q', '-w', setting]);
  }

  /** iptables-restore --noflush inside a node: adds rules without touching what is there. */
  restore(at: string, rules: string): void {
    this.exec(at, ['iptables-restore', '--noflush'], { input: rules });
  }

  startTool(at: string, label: string, command: string[], cwd?: string): Background {
    const tool = Background.start(`${label} in ${at}`, inNs(this.ns(at), command), cwd);
    this.tools.push(tool);
    return tool;
  }

  async stopTools(): Promise<void> {
    const tools = this.tools.splice(0);
    await Promise.all(tools.map((t) => t.stop()));
  }

  async teardown(): Promise<void> {
    await this.stopTools();
    removeNamespaces(this.created.splice(0));
    activeLabs.delete(this);
  }
}

export function shortNodeName(node: string): string {
  const match = /^worker-(\d+)$/.exec(node);
  return match ? `w${match[1]}` : node;
}

export function listNamespaces(): string[] {
  const out = run(['ip', 'netns', 'list']).stdout;
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** Deletes the named namespaces that exist; never touches any other namespace. */
export function removeNamespaces(names: string[]): void {
  const existing = new Set(listNamespaces());
  for (const ns of names) {
    if (existing.has(ns)) run(['ip', 'netns', 'del', ns]);
  }
}

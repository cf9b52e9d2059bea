// Records a path as hops: one per device where tcpdump would see the packet, each
// holding the steps that happened there in order. Steps decided before the next
// device is known (a pod's routing, a tunnel's outer packet) wait in `pending`
// and open the hop they lead to. Notes (assumptions) are said once per path.
import type { Hop, Step } from './model.ts';
import type { Flow } from './flow.ts';
import { appendAll } from '../util/append.ts';

export class HopRecorder {
  readonly hops: Hop[] = [];
  private pending: Step[] = [];
  private holding = false;
  private readonly notes = new Set<string>();

  /** A new hop: the packet (and outer header) as the device sees it, after the waiting steps. */
  hop(at: string, iface: string, direction: 'in' | 'out', flow: Flow): void {
    const hop: Hop = { at, interface: iface, packet: { ...flow.packet }, steps: [] };
    if (flow.outer) hop.outer = { ...flow.outer };
    const type = direction === 'in' ? 'enter-interface' : 'exit-interface';
    const verb = direction === 'in' ? 'arrives on' : 'leaves by';
    const carried = flow.outer ? `, inside ${flow.outer.encapsulation === 'vxlan' ? `VXLAN ${flow.outer.vni}` : 'IP-in-IP'} ${flow.outer.src} → ${flow.outer.dst}` : '';
    appendAll(hop.steps, this.pending).push({ type, interface: iface, explanation: `the packet ${verb} ${at}'s ${iface}${carried}` });
    this.pending = [];
    this.holding = false;
    this.hops.push(hop);
  }

  /** Steps from now on belong to the next hop (e.g. the outer packet's, seen first on the underlay). */
  holdForNextHop(): void {
    this.holding = true;
  }

  add(steps: Step[]): void {
    const target = this.hops.length > 0 && !this.holding ? this.hops[this.hops.length - 1]!.steps : this.pending;
    for (const step of steps) {
      if (step.type === 'note') {
        if (this.notes.has(step.explanation)) continue;
        this.notes.add(step.explanation);
      }
      target.push(step);
    }
  }

  note(text: string): void {
    this.add([{ type: 'note', explanation: text }]);
  }

  /** Ends the path with its deliver or drop step, on the last hop (or on a source hop '-' if none). */
  finish(last: Step, source: string, flow: Flow): void {
    if (this.holding && this.hops.length > 0) {
      appendAll(this.hops[this.hops.length - 1]!.steps, this.pending);
      this.pending = [];
      this.holding = false;
    }
    if (this.hops.length === 0) {
      // The packet never left its source (e.g. no route in the pod): one hop at the source, interface '-'.
      this.hops.push({ at: source, interface: '-', packet: { ...flow.packet }, steps: this.pending });
      this.pending = [];
    }
    this.add([last]);
  }
}

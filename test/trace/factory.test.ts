// The trace factory refuses traces that break the model's promises, with messages that say which.
import { describe, expect, it } from 'vitest';
import { createTrace, TraceInvariantError } from '../../src/trace/factory.ts';
import type { Hop, TracePath, TraceQuery } from '../../src/trace/model.ts';

const query: TraceQuery = { from: 'pod1', to: '10.96.0.10:80', packet: { src: '192.168.1.7', dst: '10.96.0.10', dport: 80, proto: 'tcp' } };

function hop(steps: Hop['steps']): Hop {
  return { at: 'pod1', interface: 'eth0', packet: query.packet, steps };
}

function delivered(probability = 1, endpoint = '192.168.2.12:80'): TracePath {
  return { endpoint, probability, disposition: 'delivered', reason: 'delivered to pod2', hops: [hop([{ type: 'deliver', to: 'pod2', explanation: 'delivered' }])] };
}

describe('createTrace', () => {
  it('accepts paths whose probabilities add up to 1 within kube-proxy\'s 10-digit rounding', () => {
    // kube-proxy writes 0.33333333349 and 0.50000000000: shares 0.33333333349, 0.333333333255, 0.333333333255.
    const p1 = 0.33333333349;
    const p2 = (1 - p1) * 0.5;
    const trace = createTrace(query, [delivered(p1, 'a:1'), delivered(p2, 'b:1'), delivered(1 - p1 - p2, 'c:1')]);
    expect(trace.paths).toHaveLength(3);
  });

  it('refuses probabilities that do not add up to 1', () => {
    expect(() => createTrace(query, [delivered(0.5)])).toThrow(new TraceInvariantError("the paths' probabilities add up to 0.5, not 1"));
  });

  it('lets a filtered query (--endpoint) keep a part of the probability', () => {
    expect(createTrace(query, [delivered(1 / 3)], [], { partial: true }).paths[0]!.probability).toBeCloseTo(1 / 3);
  });

  it('refuses an empty trace and a path without hops', () => {
    expect(() => createTrace(query, [])).toThrow('a trace needs at least one path');
    expect(() => createTrace(query, [{ ...delivered(), hops: [] }])).toThrow('path 1 (endpoint 192.168.2.12:80): has no hops');
  });

  it('refuses a path that does not end with a deliver or drop step', () => {
    const path: TracePath = { ...delivered(), hops: [hop([{ type: 'note', explanation: 'x' }])] };
    expect(() => createTrace(query, [path])).toThrow('path 1 (endpoint 192.168.2.12:80): has 0 deliver/drop/exit-cluster steps; a path ends exactly once');
    const twice: TracePath = { ...delivered(), hops: [hop([{ type: 'deliver', to: 'pod2', explanation: 'x' }, { type: 'note', explanation: 'y' }])] };
    expect(() => createTrace(query, [twice])).toThrow("ends with a 'note' step; every path must end with a deliver, drop or exit-cluster step");
  });

  it('refuses an ending that contradicts the disposition', () => {
    const dropped: TracePath = { ...delivered(), disposition: 'dropped' };
    expect(() => createTrace(query, [dropped])).toThrow("ends with a deliver step saying 'delivered' but its disposition is 'dropped'");
    const mismatch: TracePath = { ...delivered(), disposition: 'rejected', hops: [hop([{ type: 'drop', disposition: 'dropped', explanation: 'x' }])] };
    expect(() => createTrace(query, [mismatch])).toThrow("ends with a drop step saying 'dropped' but its disposition is 'rejected'");
    const exits: TracePath = { ...delivered(), hops: [hop([{ type: 'exit-cluster', interface: 'eth0', nextHop: '10.0.0.1', explanation: 'x' }])] };
    expect(() => createTrace(query, [exits])).toThrow("ends with an exit-cluster step saying 'exits-cluster' but its disposition is 'delivered'");
    expect(createTrace(query, [{ ...exits, disposition: 'exits-cluster' }]).paths[0]!.disposition).toBe('exits-cluster');
  });

  it('refuses an insufficient-info ending that does not name the dumps that would settle it', () => {
    const bare: TracePath = { ...delivered(), disposition: 'insufficient-info', hops: [hop([{ type: 'drop', disposition: 'insufficient-info', explanation: 'x' }])] };
    expect(() => createTrace(query, [bare])).toThrow('path 1 (endpoint 192.168.2.12:80): ends insufficient-info without naming the dumps that would settle it');
    const needs = [{ at: 'worker-2', command: 'ip route' as const }];
    const named: TracePath = { ...bare, needs, hops: [hop([{ type: 'drop', disposition: 'insufficient-info', needs, explanation: 'x' }])] };
    expect(createTrace(query, [named]).paths[0]!.needs).toEqual(needs);
  });

  it('refuses hops without a place, steps or addresses, and a path without a reason', () => {
    const noInterface: TracePath = { ...delivered(), hops: [{ ...hop([{ type: 'deliver', to: 'pod2', explanation: 'd' }]), interface: '' }] };
    expect(() => createTrace(query, [noInterface])).toThrow('path 1 (endpoint 192.168.2.12:80), hop 1: has no interface');
    const noSteps: TracePath = { ...delivered(), hops: [hop([]), ...delivered().hops] };
    expect(() => createTrace(query, [noSteps])).toThrow('hop 1: has no steps');
    expect(() => createTrace(query, [{ ...delivered(), reason: ' ' }])).toThrow('path 1 (endpoint 192.168.2.12:80): has no reason');
    expect(() => createTrace(query, [delivered(1.5)])).toThrow('probability 1.5 is not between 0 and 1');
  });
});

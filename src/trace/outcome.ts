// The one place every trace ending is sorted by what it means for the connection, so the
// exit status, the explainer, the UI's colours and the pictures cannot disagree. A new
// disposition fails to compile here until it is given an outcome.
import type { Disposition } from './model.ts';

/**
 * success: the packet got where it was sent (delivered, or left the cluster as routed);
 * refused: the client is told at once (a REJECT, a service with no endpoints, too big for the path);
 * failure: the packet is lost on the way (dropped, no route, no neighbour, no FDB entry, a loop);
 * unknown: the dumps do not say (missing dumps, something podpath does not model).
 */
export type Outcome = 'success' | 'refused' | 'failure' | 'unknown';

export function outcomeOf(disposition: Disposition): Outcome {
  switch (disposition) {
    case 'delivered':
    case 'exits-cluster':
      return 'success';
    case 'rejected':
    case 'no-endpoints':
    case 'fragmentation-needed':
    case 'message-too-long':
      return 'refused';
    case 'dropped':
    case 'no-route':
    case 'blackhole':
    case 'unreachable':
    case 'prohibited':
    case 'neighbour-unresolved':
    case 'fdb-missing':
    case 'loop':
      return 'failure';
    case 'insufficient-info':
    case 'unknown':
      return 'unknown';
    default: {
      const unhandled: never = disposition;
      return unhandled;
    }
  }
}

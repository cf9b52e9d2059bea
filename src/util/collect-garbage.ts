// One full garbage collection between two phases, when the first left much garbage behind.
// Reading a 10,000-service iptables-save leaves ~20 MB of dead token strings and growth copies
// in the old generation, which V8 would only collect once it reached its own limit; the
// services and the summary built next then grew the process on top of it (peak 135 MB, above
// iptables-restore --test's 130 on the same file, issue 17). Collected here, the pages are
// reused instead (~127 MB), for ~20 ms of one mark-compact. Small inputs never pay it.
// `gc` exists because bin/podpath.js starts node with --expose-gc; without it (tests, scripts
// importing a module) this does nothing.
import { getHeapStatistics } from 'node:v8';

/** Below this much used heap a collection would cost more than it frees. */
const WORTH_IT_BYTES = 24 * 1024 * 1024;

/** Collects when `gc` is exposed and at least `worthItBytes` of heap are in use. */
export function collectGarbageIfLarge(worthItBytes = WORTH_IT_BYTES): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined && getHeapStatistics().used_heap_size >= worthItBytes) gc();
}

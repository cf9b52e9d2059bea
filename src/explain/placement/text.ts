// The words for a capture's place, shared by `podpath explain`'s text and the UI's Capture
// and Explain panes, so all three say the same thing.
import { placementLabel, type PlacementEvidence, type Unplaced } from './model.ts';

interface PlacedCapture {
  at?: string;
  interface?: string;
  placedBy: PlacementEvidence[];
  unplaced?: Unplaced;
  fromAny?: true;
}

/** "placed by: file name: worker-1 flannel.1", or "not placed: …": one line per capture part. */
export function placementLine(c: PlacedCapture): string {
  if (c.unplaced) return `not placed: ${c.unplaced.text}`;
  if (c.at === undefined || c.placedBy.length === 0) return 'not placed';
  return `placed by: ${c.placedBy.map((p) => p.text).join('; ')}`;
}

/** One file's place in a few words: "worker-1 flannel.1 (MAC addresses)", "worker-2, 5 interfaces (SLL2 interface index)". */
export function placeShort(parts: PlacedCapture[]): string {
  const placed = parts.filter((p) => p.at !== undefined && !p.unplaced);
  if (placed.length === 0) {
    const reason = parts.find((p) => p.unplaced)?.unplaced?.reason;
    return reason ? `not placed (${reason})` : 'not placed';
  }
  const kinds = [...new Set(placed.flatMap((p) => p.placedBy.map((e) => placementLabel(e.by))))].join(', ');
  const nodes = [...new Set(placed.map((p) => p.at!))];
  const where = placed.length === 1 ? `${placed[0]!.at!} ${placed[0]!.interface ?? '?'}` : `${nodes.join(', ')}, ${placed.length} interfaces`;
  return kinds ? `${where} (${kinds})` : where;
}

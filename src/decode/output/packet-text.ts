// A packet as the UI's capture pane shows it, from the code the CLI prints with: the
// summary line of `podpath decode` and the -V sections with their tunnel depth. The UI
// keeps no layer text of its own, so the two cannot drift apart.
import { dissectPacket, layersOf } from '../dissect.ts';
import { Dissection } from '../dissection.ts';
import { portTable } from '../registry.ts';
import type { CapturedPacket, DecodeOptions } from '../types.ts';
import { layerTexts, type LayerText } from './detail.ts';
import { summaryText } from './summary-line.ts';

export interface PacketText {
  /** The summary line, capture text already escaped. */
  summary: string;
  /** The layer sections, not escaped (the caller escapes what it shows). */
  layers: LayerText[];
}

const scratch = new Dissection();

export function packetText(packet: CapturedPacket, options?: DecodeOptions): PacketText {
  dissectPacket(scratch, packet, portTable(options));
  return { summary: summaryText(scratch), layers: layerTexts(layersOf(scratch)) };
}

export type { LayerText };

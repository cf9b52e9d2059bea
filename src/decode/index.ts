// podpath's capture decoder: the entry points other modules use. See types.ts.
export { readCapture, scanCapture, type ScanResult } from './read/stream.ts';
export { decodePacket, dissect, dissectPacket, layersOf, timeText } from './dissect.ts';
export { Dissection } from './dissection.ts';
export { portTable, DEFAULT_VXLAN_PORTS, DEFAULT_GENEVE_PORTS, isDecodedLinkType } from './registry.ts';
export * from './types.ts';
export { packetText, type PacketText, type LayerText } from './output/packet-text.ts';

// The explainer's answer (src/explain's Explanation) turned into what the Explain
// pane shows: one list entry per connection, named in cluster terms, and for each
// the diagnosis first (verdict, the hop where the packet stopped, the cause from
// the dumps), then the tunnel, the journey beside the trace, and the signs of
// trouble. Plain data and text, no React; every string escaped (escapeText) here, because
// HTTP lines, host names and file names come from captures.
import { basename } from 'node:path';
import type { Connection, Explanation, Journey, ModelHop, ReplyJourney, Sighting } from '../../explain/index.ts';
import { placementLine, placeShort } from '../../explain/placement/text.ts';
import { s } from '../format.ts';
import { formatWarning } from '../../util/warning.ts';
import type { Role } from '../theme.ts';
import { appendAll } from '../../util/append.ts';

/** One paragraph of the detail; the pane wraps it to its width. */
export interface Para {
  text: string;
  role?: Role;
  bold?: boolean;
  /** Continuation rows are indented by this many columns. */
  indent?: number;
}

export type EntryVerdict = Journey['verdict'] | 'reply-lost' | 'none';

export interface ExplainEntry {
  /** The connection's id ('c1'), or '' for the entry holding what belongs to no connection. */
  id: string;
  label: string;
  verdict: EntryVerdict;
  detail: Para[];
  /**
   * The connection's packets, per capture file the UI was given (its index) the frames in it. The
   * frame lists are the explanation's own (not copied): a connection of a 1,000,000-packet capture
   * would otherwise make a million `file:frame` strings when the explanation arrives (~0.5 s on the
   * UI's one thread); packetKeys makes them for the one connection chosen (Enter).
   */
  packets: PacketFrames[];
  /** Lower-cased text for `/`. */
  searchText: string;
}

export interface ExplainView {
  /** One line: counts and the overall verdict. */
  summary: string;
  faultFound: boolean;
  entries: ExplainEntry[];
  /** Per file given (the Capture pane's file index): where the explainer placed it, in a few words. */
  places: string[];
}

export interface PacketFrames {
  file: number;
  frames: readonly number[];
}

export const packetKey = (file: number, frame: number): string => `${file}:${frame}`;

/** The `file:frame` keys of an entry's packets (each once), as the Capture pane marks them (◆). */
export function packetKeys(packets: readonly PacketFrames[]): Set<string> {
  const keys = new Set<string>();
  for (const { file, frames } of packets) for (const frame of frames) keys.add(packetKey(file, frame));
  return keys;
}

const place = (p: { at?: string | undefined; interface?: string | undefined } | undefined): string => s(`${p?.at ?? '?'} ${p?.interface ?? '?'}`);

function endpoint(e: { name: string; port?: number }): string {
  return s(`${e.name}${e.port === undefined ? '' : `:${e.port}`}`);
}

export function verdictTag(v: EntryVerdict): string {
  if (v === 'reply-lost') return 'REPLY LOST';
  if (v === 'none') return '';
  return v.toUpperCase();
}

export function verdictRole(v: EntryVerdict): Role | undefined {
  switch (v) {
    case 'agrees':
      return 'ok';
    case 'lost':
    case 'rejected':
    case 'disagrees':
    case 'reply-lost':
      return 'bad';
    case 'no-model':
      return 'dim';
    case 'none':
      return undefined;
    default: {
      const unhandled: never = v;
      return unhandled;
    }
  }
}

function entryVerdict(j: Journey | undefined): EntryVerdict {
  if (!j) return 'none';
  if (j.reply && j.verdict === 'agrees') return 'reply-lost';
  return j.verdict;
}

function label(c: Connection): string {
  // A service is named by what the client asked for, then the endpoint kube-proxy chose.
  const target = c.service ? s(c.service.name) : endpoint(c.server);
  const after = c.service?.endpoint ? ` ⇒ ${endpoint(c.service.endpoint)}` : '';
  const state = c.tcp ? ` ${c.tcp.state}` : c.echo ? ` echo ${c.echo.requests}/${c.echo.replies}` : '';
  return `${s(c.id)} ${endpoint(c.client)} → ${target}${after} ${c.proto}${state}`;
}

function lostParas(what: string, j: { lostAfter?: { at?: string; interface?: string }; missingAt?: { at: string; interface: string }; cause?: Journey['cause'] }): Para[] {
  const out: Para[] = [];
  const never = j.missingAt ? `, never on ${place(j.missingAt)}` : '';
  out.push({ text: `${what} stopped after ${place(j.lostAfter)}${never}`, role: 'bad', bold: true, indent: 2 });
  if (j.cause) out.push(causePara(j.cause));
  return out;
}

/** A rejected packet: the last place seen, what the client got back (the tracer's words, as captured), the cause. */
function rejectedParas(what: string, j: Journey): Para[] {
  const never = j.missingAt ? `, never on ${place(j.missingAt)}` : '';
  const out: Para[] = [{ text: `${what} stopped after ${place(j.lostAfter)}${never}; the client got ${s(j.refusal?.text ?? '')}`, role: 'bad', bold: true, indent: 2 }];
  if (j.cause) out.push(causePara(j.cause));
  return out;
}

/** The likely cause, as the dumps of the node where the packet stopped name it, with the dump line. */
function causePara(cause: NonNullable<Journey['cause']>): Para {
  const from = cause.source ? ` (${s(cause.source.file)}:${cause.source.line})` : '';
  return { text: `cause (${s(cause.kind)}, ${s(cause.node)}): ${s(cause.text)}${from}`, role: 'bad', indent: 2 };
}

function sightingText(x: Sighting): string {
  const t = x.packet;
  const outer = x.outer ? ` [${x.outer.encapsulation.toUpperCase()}${x.outer.vni === undefined ? '' : ` ${x.outer.vni}`} ${x.outer.src} → ${x.outer.dst}]` : '';
  const repeats = x.repeats > 0 ? ` (+${x.repeats} resent)` : '';
  return s(`${t.src}${t.sport === undefined ? '' : `:${t.sport}`} → ${t.dst}${t.dport === undefined ? '' : `:${t.dport}`}${outer}${repeats}`);
}

function hopPara(h: ModelHop, captureFile: (i: number) => string): Para {
  const where = place(h).padEnd(24);
  if (h.check === 'seen') {
    const differs = h.differences.length > 0 ? ` ≠ model: ${s(h.differences.join('; '))}` : ' = model';
    const frame = h.frame === undefined ? '' : ` frame ${h.frame}${h.capture === undefined ? '' : ` of ${captureFile(h.capture)}`}`;
    return { text: `✓ ${where} seen${frame}${differs}`, ...(h.differences.length > 0 ? { role: 'warn' as const } : {}), indent: 4 };
  }
  if (h.check === 'missing') return { text: `✗ ${where} never seen (captured there)`, role: 'bad', bold: true, indent: 4 };
  return { text: `· ${where} not captured`, role: 'dim', indent: 4 };
}

function replyParas(r: ReplyJourney): Para[] {
  const out = lostParas(`the reply (${r.firstPacket})`, r);
  for (const x of r.sightings) out.push({ text: `← ${place(x).padEnd(24)} frame ${x.frame} ${sightingText(x)}`, indent: 4 });
  return out;
}

function connectionEntry(e: Explanation, c: Connection, fileIndex: (file: string) => number): ExplainEntry {
  const j = e.journeys.find((x) => x.connection === c.id);
  const verdict = entryVerdict(j);
  const captureFile = (i: number): string => s(basename(e.captures[i]?.file ?? '?'));
  const detail: Para[] = [{ text: s(c.summary), bold: true, indent: 2 }];
  if (j) {
    const tag = verdictTag(verdict);
    const role = verdictRole(verdict);
    const sees = j.refusal ? ` · ${s(j.refusal.clientSees)}` : '';
    detail.push({ text: `verdict: ${tag}${sees} (the ${s(j.firstPacket)}${j.model ? ` beside the ${j.model.source === 'trace' ? 'trace' : 'dumps'}` : ''})`, bold: true, ...(role ? { role } : {}) });
    if (j.verdict === 'lost') appendAll(detail, lostParas(`the ${s(j.firstPacket)}`, j));
    else if (j.verdict === 'rejected') appendAll(detail, rejectedParas(`the ${s(j.firstPacket)}`, j));
    else if (j.cause) detail.push(causePara(j.cause));
    if (j.reply) appendAll(detail, replyParas(j.reply));
  }
  for (const t of e.tunnels.filter((x) => x.carries.includes(c.id))) detail.push({ text: `tunnel: ${s(t.text)}`, role: 'encap', indent: 2 });
  for (const h of c.http) {
    const host = h.host ? ` (Host: ${h.host})` : '';
    detail.push({ text: s(`HTTP ${h.request}${host} frame ${h.requestFrame} → ${h.response ? `${h.response} frame ${h.responseFrame ?? '?'}` : 'no response seen'}`), indent: 4 });
  }
  if (j) {
    if (j.model) {
      const how = j.model.disposition ? ` (${s(j.model.disposition)}: ${s(j.model.reason ?? '')})` : '';
      detail.push({ text: `journey beside the ${j.model.source === 'trace' ? 'trace' : 'dumps'}${how}`, bold: true, indent: 2 });
      for (const h of j.model.hops) detail.push(hopPara(h, captureFile));
    } else {
      detail.push({ text: `seen at (no model: ${e.captures.some((x) => x.at) ? 'no capture lies on a modelled path' : 'captures not placed'})`, bold: true });
    }
    // Sightings the model has no hop for are still where the packet was.
    const onModel = (x: Sighting): boolean => j.model?.hops.some((h) => h.check === 'seen' && h.at === x.at && h.interface === x.interface) ?? false;
    for (const x of j.sightings.filter((y) => !onModel(y))) detail.push({ text: `• ${place(x).padEnd(24)} frame ${x.frame} of ${captureFile(x.capture)} ${sightingText(x)}`, indent: 4 });
    // The journey's own findings (its cause is given above, from j.cause).
    for (const t of j.text) detail.push({ text: s(t), role: 'dim', indent: 2 });
  }
  const troubles = e.troubles.filter((t) => t.connection === c.id);
  if (troubles.length > 0) detail.push({ text: `signs of trouble (${troubles.length})`, bold: true, role: 'warn' });
  for (const t of troubles) detail.push({ text: `⚠ ${captureFile(t.capture)} frame ${t.frame}: ${s(t.text)}`, role: 'warn', indent: 2 });

  const packets: PacketFrames[] = [];
  for (const v of c.views) {
    const file = fileIndex(e.captures[v.capture]?.file ?? '');
    if (file < 0) continue;
    if (v.frames.length > 0) packets.push({ file, frames: v.frames });
    if (v.icmpErrors.length > 0) packets.push({ file, frames: v.icmpErrors.map((icmp) => icmp.frame) });
  }
  const text = label(c);
  return { id: c.id, label: text, verdict, detail, packets, searchText: [text, ...detail.map((p) => p.text)].join('\n').toLowerCase() };
}

/** Where each capture was taken and what placed it there, as `podpath explain` prints it. */
function capturesEntry(e: Explanation): ExplainEntry {
  const detail: Para[] = [];
  for (const c of e.captures) {
    const where = c.at !== undefined && !c.unplaced ? ` → ${place(c)}${c.fromAny ? ' (from -i any)' : ''}` : '';
    detail.push({ text: `${s(basename(c.file))}${where}: ${c.packets} packet${c.packets === 1 ? '' : 's'}`, bold: true });
    detail.push({ text: s(placementLine(c)), ...(c.unplaced ? { role: 'warn' as const } : { role: 'dim' as const }), indent: 2 });
  }
  const placed = e.captures.filter((c) => c.at !== undefined && !c.unplaced).length;
  const text = `captures: ${placed} of ${e.captures.length} placed`;
  return { id: '', label: text, verdict: 'none', detail, packets: [], searchText: [text, ...detail.map((p) => p.text)].join('\n').toLowerCase() };
}

/** What belongs to no one connection: every tunnel, other signs of trouble, the packets that are no connection. */
function otherEntry(e: Explanation): ExplainEntry | undefined {
  const loose = e.troubles.filter((t) => t.connection === undefined);
  const other = Object.entries(e.other);
  if (e.tunnels.length === 0 && loose.length === 0 && other.length === 0 && e.warnings.length === 0) return undefined;
  const file = (i: number): string => s(basename(e.captures[i]?.file ?? '?'));
  const detail: Para[] = [];
  if (e.tunnels.length > 0) detail.push({ text: `tunnels (${e.tunnels.length})`, bold: true });
  for (const t of e.tunnels) detail.push({ text: `${s(t.text)} (${t.packets} packets)`, role: 'encap', indent: 2 });
  if (loose.length > 0) detail.push({ text: `signs of trouble outside the connections (${loose.length})`, bold: true, role: 'warn' });
  for (const t of loose) detail.push({ text: `⚠ ${file(t.capture)} frame ${t.frame}: ${s(t.text)}`, role: 'warn', indent: 2 });
  if (other.length > 0) detail.push({ text: `other packets: ${other.map(([k, n]) => `${n} ${s(k)}`).join(', ')}`, role: 'dim' });
  if (e.warnings.length > 0) detail.push({ text: `warnings (${e.warnings.length})`, bold: true });
  for (const w of e.warnings.slice(0, 50)) detail.push({ text: s(formatWarning(w)), role: 'warn', indent: 2 });
  const others = other.reduce((n, [, count]) => n + count, 0);
  const text = `everything else: ${e.tunnels.length} tunnel${e.tunnels.length === 1 ? '' : 's'}, ${loose.length} other sign${loose.length === 1 ? '' : 's'} of trouble, ${others} other packet${others === 1 ? '' : 's'}`;
  return { id: '', label: text, verdict: 'none', detail, packets: [], searchText: [text, ...detail.map((p) => p.text)].join('\n').toLowerCase() };
}

/** Connections in trouble first (lost, reply lost, disagrees), so a big capture's problem is on the first screen. */
const rank: Record<EntryVerdict, number> = { lost: 0, rejected: 0, 'reply-lost': 0, disagrees: 1, agrees: 2, 'no-model': 2, none: 3 };

export function explainView(e: Explanation, files: string[]): ExplainView {
  const fileIndex = (file: string): number => files.indexOf(file);
  const entries = e.connections.map((c) => connectionEntry(e, c, fileIndex));
  // Stable: equal ranks keep the explainer's order (c1, c2, …).
  entries.sort((a, b) => rank[a.verdict] - rank[b.verdict]);
  const other = otherEntry(e);
  if (other) entries.push(other);
  entries.push(capturesEntry(e));
  const lost = e.journeys.filter((j) => j.verdict === 'lost' || j.reply).length;
  const rejected = e.journeys.filter((j) => j.verdict === 'rejected').length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary = [
    plural(e.connections.length, 'connection'),
    plural(e.tunnels.length, 'tunnel'),
    plural(e.troubles.length, 'sign') + ' of trouble',
    ...(lost > 0 ? [`${lost} lost`] : []),
    ...(rejected > 0 ? [`${rejected} rejected`] : []),
    e.faultFound ? 'trouble found' : 'no trouble found',
  ].join(' · ');
  const places = files.map((file) => s(placeShort(e.captures.filter((c) => c.file === file))));
  return { summary, faultFound: e.faultFound, entries, places };
}

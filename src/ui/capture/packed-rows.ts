// The Capture pane's rows as they cross from the streamer's thread (worker.ts) to the UI's: a
// few flat pieces per batch instead of a tree of objects per row. A structured clone of the
// rows themselves (each a dozen strings in layer objects, and its bytes) is rebuilt object by
// object on the UI's thread: the 5,000 kept rows of the bench's capture are 11 MB serialized and
// took 45-90 ms to receive there, in blocks of 20-40 ms per batch, and the objects, all kept,
// made every minor GC copy them. Packed, a batch is one string, one ArrayBuffer (transferred,
// not copied) and two tables of numbers; a row's words are parsed from its slice of the string
// only when something reads them (the list reads the rows on screen, the layer and hex views
// the selected one, a search every row once).
import type { CaptureRow, LayerLine } from './rows.ts';

export interface PackedRows {
  /** Per row, four numbers: file, frame, caplen, marked (1 or 0). */
  numbers: Int32Array;
  /** Each row's words as JSON (Words), one after the other; row i's end is textEnds[i]. */
  text: string;
  textEnds: Int32Array;
  /** Each row's bytes (at most HEX_LIMIT), one after the other; row i's end is bytesEnds[i]. */
  bytes: Uint8Array;
  bytesEnds: Int32Array;
}

/** A row's words: summary, time, source (null when one file was given), layers, searchText. */
type Words = [string, string, string | null, LayerLine[], string];

const FIELDS = 4;

export function packRows(rows: CaptureRow[]): PackedRows {
  const numbers = new Int32Array(rows.length * FIELDS);
  const textEnds = new Int32Array(rows.length);
  const bytesEnds = new Int32Array(rows.length);
  const texts: string[] = [];
  let textLength = 0;
  let byteLength = 0;
  rows.forEach((r, i) => {
    numbers.set([r.file, r.frame, r.caplen, r.marked ? 1 : 0], i * FIELDS);
    const words: Words = [r.summary, r.time, r.source ?? null, r.layers, r.searchText];
    const text = JSON.stringify(words);
    texts.push(text);
    textEnds[i] = textLength += text.length;
    bytesEnds[i] = byteLength += r.bytes.length;
  });
  const bytes = new Uint8Array(byteLength);
  rows.forEach((r, i) => bytes.set(r.bytes, i === 0 ? 0 : (bytesEnds[i - 1] as number)));
  return { numbers, text: texts.join(''), textEnds, bytes, bytesEnds };
}

/** What postMessage may move rather than copy: the bytes' buffer (the sender no longer reads it). */
export function transferable(packed: PackedRows): ArrayBuffer[] {
  return [packed.bytes.buffer as ArrayBuffer];
}

/** The batch's rows, each reading its words from the batch when first asked. */
export function unpackRows(packed: PackedRows): CaptureRow[] {
  const rows: CaptureRow[] = [];
  for (let i = 0; i < packed.textEnds.length; i++) rows.push(new PackedRow(packed, i));
  return rows;
}

class PackedRow implements CaptureRow {
  readonly file: number;
  readonly frame: number;
  readonly caplen: number;
  readonly marked: boolean;
  private words: Words | undefined;
  private view: Uint8Array | undefined;

  constructor(
    private readonly batch: PackedRows,
    private readonly index: number,
  ) {
    const at = index * FIELDS;
    this.file = batch.numbers[at] as number;
    this.frame = batch.numbers[at + 1] as number;
    this.caplen = batch.numbers[at + 2] as number;
    this.marked = batch.numbers[at + 3] === 1;
  }

  private read(): Words {
    if (this.words === undefined) {
      const start = this.index === 0 ? 0 : (this.batch.textEnds[this.index - 1] as number);
      this.words = JSON.parse(this.batch.text.slice(start, this.batch.textEnds[this.index])) as Words;
    }
    return this.words;
  }

  get summary(): string {
    return this.read()[0];
  }
  get time(): string {
    return this.read()[1];
  }
  get source(): string | undefined {
    return this.read()[2] ?? undefined;
  }
  get layers(): LayerLine[] {
    return this.read()[3];
  }
  get searchText(): string {
    return this.read()[4];
  }
  get bytes(): Uint8Array {
    if (this.view === undefined) {
      const start = this.index === 0 ? 0 : (this.batch.bytesEnds[this.index - 1] as number);
      this.view = this.batch.bytes.subarray(start, this.batch.bytesEnds[this.index]);
    }
    return this.view;
  }
}

// Batched stdout: lines are encoded straight into a 1 MiB buffer that is written in
// one call, with backpressure. (Collecting strings and joining them cost more than the
// decoding for --json: a million 1.3 KB lines.) A reader that goes away
// (`podpath decode big.pcap | head`) ends the run quietly instead of raising EPIPE.
import { once } from 'node:events';

const BUFFER_BYTES = 1 << 20;

export class BatchedWriter {
  private buffer: Buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  /** Buffers the stream has finished with, reused so output allocates nothing in steady state. */
  private readonly spare: Buffer[] = [];
  private used = 0;
  /** Set when the reader closed the pipe: stop producing output. */
  closed = false;
  private waiting: Promise<void> | null = null;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw error;
    });
  }

  /** Any text (UTF-8). */
  line(text: string): void {
    if (this.used + text.length * 3 + 1 > this.buffer.length) this.rotate(text.length * 3 + 1);
    this.used += this.buffer.write(text, this.used, 'utf8');
    this.buffer[this.used++] = 0x0a;
  }

  /** Text known to be ASCII (podpath's JSON escapes everything else): one byte per character. */
  asciiLine(text: string): void {
    if (this.used + text.length + 1 > this.buffer.length) this.rotate(text.length + 1);
    this.used += this.buffer.write(text, this.used, 'latin1');
    this.buffer[this.used++] = 0x0a;
  }

  get pending(): number {
    return this.used;
  }

  /** Hands the filled part to the stream and starts a fresh buffer (the old one is the stream's now). */
  private rotate(need: number): void {
    if (this.used > 0 && !this.closed) {
      const full = this.buffer;
      const accepted = this.stream.write(full.subarray(0, this.used), () => {
        if (full.length === BUFFER_BYTES && this.spare.length < 16) this.spare.push(full);
      });
      if (!accepted && this.waiting === null) {
        this.waiting = new Promise<void>((resolve) => {
          // Whichever comes first removes both listeners: one left behind per wait adds up
          // to a MaxListenersExceededWarning on a long run into a slow pipe.
          const done = (): void => {
            this.stream.removeListener('drain', done);
            this.stream.removeListener('close', done);
            this.waiting = null;
            resolve();
          };
          this.stream.once('drain', done);
          this.stream.once('close', done);
        });
      }
    }
    this.buffer = need <= BUFFER_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES)) : Buffer.allocUnsafe(need);
    this.used = 0;
  }

  /** Writes what is buffered and waits while the stream is full. */
  async flush(): Promise<void> {
    if (this.closed) {
      this.used = 0;
      return;
    }
    this.rotate(0);
    if (this.waiting === null) return;
    const stop = new AbortController();
    try {
      await Promise.race([this.waiting, once(this.stream as NodeJS.EventEmitter, 'error', { signal: stop.signal }).catch(() => undefined)]);
    } finally {
      stop.abort(); // takes the 'error' listener off again
    }
  }
}

// Batched stdout: text is written straight into a 1 MiB buffer (ByteSink) that is
// handed to the stream in one call, with backpressure. (Collecting strings and joining
// them cost more than the decoding for --json: a million 1.3 KB lines.) A reader that
// goes away (`podpath decode big.pcap | head`) ends the run quietly instead of raising EPIPE.
import { once } from 'node:events';
import { ByteSink } from './sink.ts';

const BUFFER_BYTES = 1 << 20;

export class BatchedWriter extends ByteSink {
  /** Buffers the stream has finished with, reused so output allocates nothing in steady state. */
  private readonly spare: Buffer[] = [];
  /** Set when the reader closed the pipe: stop producing output. */
  closed = false;
  private waiting: Promise<void> | null = null;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    super(BUFFER_BYTES);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else throw error;
    });
  }

  /** Any text (UTF-8), then a line break. */
  line(text: string): void {
    this.text(text);
    this.byte(0x0a);
  }

  /** Text known to be ASCII (podpath's JSON escapes everything else), then a line break. */
  asciiLine(text: string): void {
    this.ascii(text);
    this.byte(0x0a);
  }

  /** Hands the filled part to the stream and starts a fresh buffer (the old one is the stream's now). */
  protected makeRoom(need: number): void {
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
    this.use(need <= BUFFER_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES)) : Buffer.allocUnsafe(need), 0);
  }

  /** Writes what is buffered and waits while the stream is full. */
  async flush(): Promise<void> {
    if (this.closed) {
      this.used = 0;
      return;
    }
    this.makeRoom(0);
    if (this.waiting === null) return;
    const stop = new AbortController();
    try {
      await Promise.race([this.waiting, once(this.stream as NodeJS.EventEmitter, 'error', { signal: stop.signal }).catch(() => undefined)]);
    } finally {
      stop.abort(); // takes the 'error' listener off again
    }
  }
}
